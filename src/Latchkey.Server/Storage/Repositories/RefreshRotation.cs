using Latchkey.Server.Storage.Rows;

namespace Latchkey.Server.Storage.Repositories;

public sealed record RefreshRotation(RefreshOutcome Outcome, GrantRow? Grant);
