using System.Net;
using Microsoft.Extensions.Options;

namespace Latchkey.Server.Configuration;

/// <summary>A metrics listener that would collide with the public one, or bind nowhere, stops start-up.</summary>
public sealed class MetricsOptionsValidator : IValidateOptions<LatchkeyServerOptions>
{
    public ValidateOptionsResult Validate(string? name, LatchkeyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var metrics = options.Metrics;
        if (metrics.Port is null)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        if (metrics.Port is < 1 or > 65535)
        {
            errors.Add($"Latchkey:Metrics:Port must be 1-65535 (got {metrics.Port}).");
        }
        else if (metrics.Port == options.Port)
        {
            errors.Add($"Latchkey:Metrics:Port must differ from Latchkey:Port ({options.Port}): metrics are never served on the public listener.");
        }

        if (!IPAddress.TryParse(metrics.ListenAddress, out _))
        {
            errors.Add($"Latchkey:Metrics:ListenAddress must be an IP address (got '{metrics.ListenAddress}').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
