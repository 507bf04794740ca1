namespace Latchkey.EndToEnd.Tests.Bench;

/// <summary>
/// What one step of a virtual client came to: an error (null when it worked), and the time of its timed part when the
/// step does untimed work around it (e.g. a device flow's approval before the timed poll). Skipped: no work was left.
/// </summary>
public readonly record struct StepOutcome(string? Error = null, double? TimedMs = null, bool Skipped = false);
