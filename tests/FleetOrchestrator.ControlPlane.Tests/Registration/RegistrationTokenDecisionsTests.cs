using FleetOrchestrator.ControlPlane.Registration;

namespace FleetOrchestrator.ControlPlane.Tests.Registration;

public class RegistrationTokenDecisionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly string First = RegistrationTokenDecisions.Hash("first");
    private static readonly string Second = RegistrationTokenDecisions.Hash("second");

    [Fact]
    public void The_first_seed_is_adopted_and_later_seeds_change_nothing()
    {
        var seeded = RegistrationTokenDecisions.Apply(RegistrationTokenDecisions.Decide(null, new SeedRegistrationToken(First), Now).Single!);

        var other = RegistrationTokenDecisions.Decide(seeded, new SeedRegistrationToken(Second), Now.AddHours(1));

        Assert.Equal(new RegistrationTokenHash(First, Now), seeded);
        Assert.Empty(other.Events);
        Assert.Null(other.Refusal);
    }

    [Fact]
    public void A_rotation_replaces_the_token_and_a_rotation_to_the_same_token_or_a_malformed_hash_is_refused()
    {
        var current = new RegistrationTokenHash(First, Now);

        var rotated = RegistrationTokenDecisions.Decide(current, new RotateRegistrationToken(Second), Now.AddDays(1));
        var same = RegistrationTokenDecisions.Decide(current, new RotateRegistrationToken(First), Now);
        var malformed = RegistrationTokenDecisions.Decide(current, new RotateRegistrationToken("the-token-itself"), Now);

        Assert.Equal(new RegistrationTokenHash(Second, Now.AddDays(1)), RegistrationTokenDecisions.Apply(rotated.Single!));
        Assert.Equal("the new registration token is the current one", same.Refusal);
        Assert.Equal("a registration token is held as its SHA-256: 64 lower-case hex digits", malformed.Refusal);
        Assert.Empty(same.Events);
        Assert.Empty(malformed.Events);
    }

    [Fact]
    public void The_hash_is_the_lower_case_hex_sha256_of_the_token() =>
        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", RegistrationTokenDecisions.Hash("hello"));
}
