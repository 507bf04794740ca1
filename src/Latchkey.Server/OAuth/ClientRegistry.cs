using Latchkey.Server.Configuration;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.OAuth;

/// <summary>Registered clients: the built-in public `latchkey-cli` plus those in configuration.</summary>
public sealed class ClientRegistry
{
    public const string LatchkeyCliClientId = "latchkey-cli";
    private readonly Dictionary<string, RegisteredClient> clients = new(StringComparer.Ordinal);

    public ClientRegistry(IOptions<LatchkeyServerOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Add(new RegisteredClient
        {
            ClientId = LatchkeyCliClientId,
            DisplayName = "Latchkey CLI",
            // Native app on loopback (RFC 8252 §7.3): any port is accepted for these.
            RedirectUris = ["http://127.0.0.1/auth/callback", "http://[::1]/auth/callback", "http://localhost/auth/callback"],
        });
        var codex = options.Value.Codex;
        if (codex.Enabled)
        {
            var codexClient = new RegisteredClient
            {
                ClientId = codex.ClientId,
                DisplayName = "Codex CLI",
                // Loopback for the browser login (any port, RFC 8252 §7.3); the device flow's fixed callback.
                RedirectUris = ["http://localhost/auth/callback", "http://127.0.0.1/auth/callback", options.Value.ResolveIssuer() + "/deviceauth/callback"],
                IgnoredScopes = Scopes.CodexIgnored,
            };
            Add(codexClient);
            foreach (var alias in codex.ClientIdAliases.Where(a => !string.IsNullOrWhiteSpace(a)))
            {
                clients.TryAdd(alias, codexClient);
            }
        }

        foreach (var c in options.Value.Clients)
        {
            Add(new RegisteredClient
            {
                ClientId = c.ClientId,
                DisplayName = string.IsNullOrWhiteSpace(c.DisplayName) ? c.ClientId : c.DisplayName,
                RedirectUris = [.. c.RedirectUris],
                SecretSha256 = string.IsNullOrWhiteSpace(c.SecretSha256) ? null : c.SecretSha256,
                AllowDeviceCode = c.AllowDeviceCode,
            });
        }
    }

    public RegisteredClient? Find(string? clientId)
        => clientId is not null && clients.TryGetValue(clientId, out var client) ? client : null;

    private void Add(RegisteredClient client) => clients[client.ClientId] = client;
}
