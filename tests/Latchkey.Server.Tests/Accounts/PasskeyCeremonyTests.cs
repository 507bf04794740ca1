using Latchkey.Server.Accounts;
using Latchkey.Server.Storage;
using Latchkey.Server.Storage.Repositories;
using Latchkey.Server.Storage.Rows;
using Latchkey.Server.Tests.Infrastructure;

namespace Latchkey.Server.Tests.Accounts;

/// <summary>
/// The WebAuthn ceremony rules (W3C WebAuthn Level 2 §7.1 registration, §7.2 assertion) as PasskeyService applies them
/// with Fido2, against a software authenticator whose every byte the test controls, on both storage engines (the
/// challenge store and the counter update are the storage that matters).
/// </summary>
public abstract class PasskeyCeremonyTests(DatabaseEngine engine) : ServerTest(engine)
{
    private PasskeyService Passkeys => Factory.Get<PasskeyService>();

    private async Task<UserRow> UserAsync()
    {
        var user = await TestAccounts.CreateEnrolledAsync(Factory);
        return (await Factory.Get<UserRepository>().FindByIdAsync(user.Id, CancellationToken.None))!;
    }

    private async Task<SoftwareAuthenticator> EnrolAsync(UserRow user, uint signCount = 0)
    {
        var authenticator = new SoftwareAuthenticator { SignCount = signCount };
        var ceremony = await Passkeys.BeginRegistrationAsync(user, CancellationToken.None);
        var added = await Passkeys.CompleteRegistrationAsync(user.Id, "Laptop", authenticator.Register(ceremony.OptionsJson), ceremony.Handle, null, CancellationToken.None);
        Assert.True(added.Succeeded, added.Error?.Message);
        return authenticator;
    }

    private async Task<Common.ServiceResult<UserRow>> AssertAsync(string? expectedUserId, SoftwareAuthenticator authenticator, string origin = "http://localhost", string? challenge = null)
    {
        var ceremony = (await Passkeys.BeginAssertionAsync(expectedUserId, CancellationToken.None))!;
        return await Passkeys.CompleteAssertionAsync(expectedUserId, authenticator.Assert(ceremony.OptionsJson, origin, challenge), ceremony.Handle, null, CancellationToken.None);
    }

    private async Task<PasskeyRow> StoredAsync(SoftwareAuthenticator authenticator)
        => (await Factory.Get<PasskeyRepository>().FindAsync(authenticator.CredentialIdBase64Url, CancellationToken.None))!;

    [Fact]
    public async Task Register_StoresIdKeyCounterHandleAndTransports_ThenSignsInAsSecondFactorAndPasswordless()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user, signCount: 1);

        var row = await StoredAsync(authenticator);
        Assert.Equal(user.Id, row.UserId);
        Assert.Equal("Laptop", row.Name);
        Assert.Equal(1, row.SignCount);
        Assert.Equal("internal", row.Transports);
        Assert.Equal(PasskeyService.UserHandle(user.Id), authenticator.UserHandle);
        Assert.Null(row.LastUsedAt);

        authenticator.SignCount = 2;
        Assert.Equal(user.Id, (await AssertAsync(user.Id, authenticator)).Value?.Id);
        authenticator.SignCount = 3;
        Assert.Equal(user.Id, (await AssertAsync(null, authenticator)).Value?.Id);
        Assert.Equal(3, (await StoredAsync(authenticator)).SignCount);
        Assert.NotNull((await StoredAsync(authenticator)).LastUsedAt);
    }

    [Fact]
    public async Task Register_FromAnotherOrigin_IsRefusedAndNothingStored_WebAuthn7_1_Step9()
    {
        var user = await UserAsync();
        using var authenticator = new SoftwareAuthenticator();
        var ceremony = await Passkeys.BeginRegistrationAsync(user, CancellationToken.None);

        var added = await Passkeys.CompleteRegistrationAsync(user.Id, "Phished", authenticator.Register(ceremony.OptionsJson, origin: "http://latchkey.example.evil"), ceremony.Handle, null, CancellationToken.None);

        Assert.False(added.Succeeded);
        Assert.Null(await Factory.Get<PasskeyRepository>().FindAsync(authenticator.CredentialIdBase64Url, CancellationToken.None));
    }

    [Fact]
    public async Task Register_AnsweringAnotherChallenge_IsRefused_WebAuthn7_1_Step8()
    {
        var user = await UserAsync();
        using var authenticator = new SoftwareAuthenticator();
        var ceremony = await Passkeys.BeginRegistrationAsync(user, CancellationToken.None);

        var added = await Passkeys.CompleteRegistrationAsync(user.Id, "Laptop", authenticator.Register(ceremony.OptionsJson, challengeOverride: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), ceremony.Handle, null, CancellationToken.None);

        Assert.False(added.Succeeded);
    }

    [Fact]
    public async Task Register_SameCredentialTwice_IsRefused_WebAuthn7_1_Step22()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user);
        var ceremony = await Passkeys.BeginRegistrationAsync(user, CancellationToken.None);

        var again = await Passkeys.CompleteRegistrationAsync(user.Id, "Again", authenticator.Register(ceremony.OptionsJson), ceremony.Handle, null, CancellationToken.None);

        Assert.False(again.Succeeded);
        Assert.Single(await Passkeys.ListAsync(user.Id, CancellationToken.None));
    }

    [Fact]
    public async Task Assert_FromAnotherOrigin_IsRefused_WebAuthn7_2_Step13()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user);
        authenticator.SignCount = 1;

        Assert.False((await AssertAsync(user.Id, authenticator, origin: "https://login.example.evil")).Succeeded);
        Assert.Equal(0, (await StoredAsync(authenticator)).SignCount);
    }

    [Fact]
    public async Task Assert_WithAChallengeTheServerDidNotIssue_IsRefused_WebAuthn7_2_Step12()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user);
        authenticator.SignCount = 1;

        Assert.False((await AssertAsync(null, authenticator, challenge: "bm90LXRoZS1zZXJ2ZXJzLWNoYWxsZW5nZQ")).Succeeded);
    }

    [Fact]
    public async Task Assert_ReplayingAnsweredChallenge_IsRefused_ChallengesAreSingleUse_WebAuthn13_4_3()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user);
        var ceremony = (await Passkeys.BeginAssertionAsync(null, CancellationToken.None))!;
        authenticator.SignCount = 1;
        var response = authenticator.Assert(ceremony.OptionsJson);

        Assert.True((await Passkeys.CompleteAssertionAsync(null, response, ceremony.Handle, null, CancellationToken.None)).Succeeded);
        var replay = await Passkeys.CompleteAssertionAsync(null, response, ceremony.Handle, null, CancellationToken.None);

        Assert.False(replay.Succeeded);
        Assert.Contains("expired or was already used", replay.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assert_AfterTheChallengeExpired_IsRefused_WebAuthn13_4_3()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user);
        var ceremony = (await Passkeys.BeginAssertionAsync(user.Id, CancellationToken.None))!;
        authenticator.SignCount = 1;
        var response = authenticator.Assert(ceremony.OptionsJson);

        Factory.Clock.Advance(PasskeyService.CeremonyLifetime);

        Assert.False((await Passkeys.CompleteAssertionAsync(user.Id, response, ceremony.Handle, null, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task Assert_CounterNotMovingForward_IsRefusedAsAPossibleClone_WebAuthn6_1_1_And7_2_Step21()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user, signCount: 5);

        authenticator.SignCount = 4;
        Assert.False((await AssertAsync(user.Id, authenticator)).Succeeded);
        authenticator.SignCount = 5;
        Assert.False((await AssertAsync(null, authenticator)).Succeeded);
        authenticator.SignCount = 0;
        Assert.False((await AssertAsync(null, authenticator)).Succeeded);
        Assert.Equal(5, (await StoredAsync(authenticator)).SignCount);

        authenticator.SignCount = 6;
        Assert.True((await AssertAsync(user.Id, authenticator)).Succeeded);
    }

    [Fact]
    public async Task Assert_AuthenticatorWithoutACounter_KeepsWorking_WebAuthn6_1_1()
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user, signCount: 0);

        Assert.True((await AssertAsync(user.Id, authenticator)).Succeeded);
        Assert.True((await AssertAsync(user.Id, authenticator)).Succeeded);
    }

    [Fact]
    public async Task SecondFactor_WithSomeoneElsesPasskey_IsRefused_WebAuthn7_2_Step6()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        using var bobsKey = await EnrolAsync(bob);
        using var alicesKey = await EnrolAsync(alice);
        bobsKey.SignCount = 1;

        // Alice's password step done; Bob's passkey answers Alice's ceremony.
        var ceremony = (await Passkeys.BeginAssertionAsync(alice.Id, CancellationToken.None))!;
        var refused = await Passkeys.CompleteAssertionAsync(alice.Id, bobsKey.Assert(ceremony.OptionsJson), ceremony.Handle, null, CancellationToken.None);

        Assert.False(refused.Succeeded);
        Assert.Equal(0, (await StoredAsync(bobsKey)).SignCount);
    }

    [Fact]
    public async Task Passwordless_ClaimingAnotherUsersHandle_IsRefused_WebAuthn7_2_Step6()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        using var bobsKey = await EnrolAsync(bob);
        bobsKey.SignCount = 1;
        var ceremony = (await Passkeys.BeginAssertionAsync(null, CancellationToken.None))!;

        var refused = await Passkeys.CompleteAssertionAsync(null, bobsKey.Assert(ceremony.OptionsJson, userHandleOverride: PasskeyService.UserHandle(alice.Id)), ceremony.Handle, null, CancellationToken.None);

        Assert.False(refused.Succeeded);
    }

    [Fact]
    public async Task Ceremony_ForOnePurposeOrUser_CannotFinishAnother()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        using var bobsKey = await EnrolAsync(bob);
        bobsKey.SignCount = 1;

        // A second-factor challenge made for Bob cannot be spent on a passwordless sign-in, nor on Alice's second step.
        var bobs = (await Passkeys.BeginAssertionAsync(bob.Id, CancellationToken.None))!;
        Assert.False((await Passkeys.CompleteAssertionAsync(null, bobsKey.Assert(bobs.OptionsJson), bobs.Handle, null, CancellationToken.None)).Succeeded);
        var bobsAgain = (await Passkeys.BeginAssertionAsync(bob.Id, CancellationToken.None))!;
        Assert.False((await Passkeys.CompleteAssertionAsync(alice.Id, bobsKey.Assert(bobsAgain.OptionsJson), bobsAgain.Handle, null, CancellationToken.None)).Succeeded);

        // A registration challenge is not an assertion challenge.
        var registration = await Passkeys.BeginRegistrationAsync(bob, CancellationToken.None);
        Assert.False((await Passkeys.CompleteAssertionAsync(bob.Id, bobsKey.Assert(bobs.OptionsJson), registration.Handle, null, CancellationToken.None)).Succeeded);
    }

    [Fact]
    public async Task Remove_SomeoneElsesPasskey_IsNotFound_AndKeepsIt()
    {
        var alice = await UserAsync();
        var bob = await UserAsync();
        using var bobsKey = await EnrolAsync(bob);

        var removed = await Passkeys.RemoveAsync(alice.Id, bobsKey.CredentialIdBase64Url, null, CancellationToken.None);

        Assert.Equal(404, removed.Error?.Status);
        Assert.NotNull(await StoredAsync(bobsKey));
        Assert.True((await Passkeys.RemoveAsync(bob.Id, bobsKey.CredentialIdBase64Url, null, CancellationToken.None)).Succeeded);
        Assert.Empty(await Passkeys.ListAsync(bob.Id, CancellationToken.None));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"id\":\"AAAA\",\"rawId\":\"AAAA\",\"type\":\"public-key\",\"response\":{}}")]
    [InlineData("{\"rawId\":\"!!!\"}")]
    public async Task Assert_MalformedResponse_IsARefusalNotAnError(string response)
    {
        var user = await UserAsync();
        using var authenticator = await EnrolAsync(user);
        var ceremony = (await Passkeys.BeginAssertionAsync(null, CancellationToken.None))!;

        var result = await Passkeys.CompleteAssertionAsync(null, response, ceremony.Handle, null, CancellationToken.None);

        Assert.Equal(400, result.Error?.Status);
    }
}

public sealed class SqlitePasskeyCeremonyTests() : PasskeyCeremonyTests(DatabaseEngine.Sqlite);

public sealed class PostgresPasskeyCeremonyTests() : PasskeyCeremonyTests(DatabaseEngine.Postgres);
