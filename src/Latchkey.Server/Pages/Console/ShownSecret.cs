namespace Latchkey.Server.Pages.Console;

/// <summary>
/// A secret just created (access token, API key, invitation link), carried across the post/redirect/get in the
/// data-protected TempData cookie and shown exactly once: reading it removes it, so a reload shows nothing and
/// creates nothing.
/// </summary>
/// <param name="Kind">token, key or invite: which field id and wording the page uses.</param>
public sealed record ShownSecret(string Kind, string Name, string Value)
{
    public const string TokenKind = "token";
    public const string KeyKind = "key";
    public const string InviteKind = "invite";

    /// <summary>The read-only field's id; browser tests and people's scripts look for these.</summary>
    public string FieldId => Kind switch
    {
        TokenKind => "token-value",
        KeyKind => "key-value",
        _ => "invite-url",
    };
}
