namespace Latchkey.Client;

/// <summary>Stable codes of <see cref="LatchkeyException"/>. Scripts may depend on them.</summary>
public static class ErrorCodes
{
    public const string NotSignedIn = "not_signed_in";
    public const string CredentialFileInvalid = "credential_file_invalid";
    public const string CredentialStoreUnavailable = "credential_store_unavailable";
    public const string ServerUnreachable = "server_unreachable";
    public const string InvalidServerResponse = "invalid_server_response";
    public const string NoServer = "no_server";
    public const string InvalidServerUrl = "invalid_server_url";
    public const string LoginFailed = "login_failed";
    public const string LoginCancelled = "login_cancelled";
    public const string LoginTimedOut = "login_timed_out";
    public const string DeviceAuthDisabled = "device_auth_disabled";
    public const string RefreshFailed = "refresh_failed";
    public const string InvalidSecret = "invalid_secret";
    public const string LockTimeout = "lock_timeout";
    public const string ConfigInvalid = "config_invalid";
    public const string RestrictionViolated = "restriction_violated";
    public const string LoginMethodForbidden = "login_method_forbidden";
    public const string UnknownProvider = "unknown_provider";
    public const string ProviderKeyMissing = "provider_key_missing";
}
