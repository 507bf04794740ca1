namespace Latchkey.Client.Credentials.Keyring;

/// <summary>The OS credential store, reduced to what the keyring credential store needs.</summary>
internal interface IOsKeyring
{
    string Name { get; }

    string? Read(string service, string account);

    void Write(string service, string account, string label, string secret);

    bool Delete(string service, string account);
}
