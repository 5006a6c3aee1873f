using System.Text;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Registries;
using SecretRotator.Rotation;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.Rotation;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Performance;

/// <summary>What keeps a 10,000-namespace pass cheap: content built once per secret, stored content read once, LISTs at once.</summary>
public sealed class SteadyStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly System.Text.Json.JsonSerializerOptions ReflectionJson = new();
    private static readonly SourceLocation Here = new("c.yaml", 1, 1, "secrets[0]");

    private static SecretTarget Target(params string[] registries) =>
        new("regcred", registries, new NamespaceSelection(["team-*"], null, []), [], Here);

    [Fact]
    public void Build_SameTargetAndCredentials_SharesOneContentAcrossNamespaces()
    {
        var target = Target("ghcr");
        var fresh = new Dictionary<string, RegistryCredential> { ["ghcr"] = new([new DockerAuthEntry("ghcr.io", "bot", "pw")], null) };

        var a = SecretBuilder.Build(target, "team-a", fresh, null, Now);
        var b = SecretBuilder.Build(target, "team-b", fresh, null, Now);

        Assert.Same(a.Secret.Data[ManagedSecret.DataKey], b.Secret.Data[ManagedSecret.DataKey]);
        Assert.Equal("team-a", a.Secret.Metadata.NamespaceProperty);
        Assert.Equal("team-b", b.Secret.Metadata.NamespaceProperty);
        Assert.Equal(a.Secret.Metadata.Annotations, b.Secret.Metadata.Annotations);
    }

    [Fact]
    public void Build_SamePass_NamespacesShareReadOnlyMetadataAndData()
    {
        var target = Target("ghcr");
        var fresh = Fresh("pw");

        var a = SecretBuilder.Build(target, "team-a", fresh, null, Now).Secret;
        var b = SecretBuilder.Build(target, "team-b", fresh, null, Now).Secret;
        var later = SecretBuilder.Build(target, "team-a", fresh, null, Now.AddMinutes(1)).Secret;

        Assert.Same(a.Metadata.Annotations, b.Metadata.Annotations);
        Assert.Same(a.Metadata.Labels, b.Metadata.Labels);
        Assert.Same(a.Data, b.Data);
        Assert.Throws<NotSupportedException>(() => a.Metadata.Annotations[ManagedSecret.RotatedAtAnnotation] = "x");
        Assert.Equal(SecretSources.FormatTime(Now.AddMinutes(1)), later.Metadata.Annotations[ManagedSecret.RotatedAtAnnotation]);
        Assert.Equal(SecretSources.FormatTime(Now), a.Metadata.Annotations[ManagedSecret.RotatedAtAnnotation]);
    }

    [Theory]
    [InlineData("ghcr,ecr", new[] { "ghcr", "ecr" }, true)]
    [InlineData("ghcr", new[] { "ghcr" }, true)]
    [InlineData("", new string[0], true)]
    [InlineData("ghcr,ecr,", new[] { "ghcr", "ecr" }, false)]
    [InlineData("ghcrecr", new[] { "ghcr", "ecr" }, false)]
    [InlineData("ghcr,ec", new[] { "ghcr", "ecr" }, false)]
    [InlineData("ecr,ghcr", new[] { "ghcr", "ecr" }, false)]
    [InlineData("ghcr", new[] { "ghcr", "ecr" }, false)]
    [InlineData(null, new string[0], false)]
    public void IsJoined_AnnotationAgainstRegistries_SameAsComparingTheJoinedString(string? text, string[] parts, bool expected)
    {
        Assert.Equal(expected, RunPlanner.IsJoined(text, parts));
        Assert.Equal(expected, text == string.Join(",", parts));
    }

    [Fact]
    public void AlreadyLists_HeldAccountListsTheSecret_TrueElseFalse()
    {
        var known = new ServiceAccountIndex();
        known.Remember(new V1ServiceAccount
        {
            Metadata = new V1ObjectMeta { Name = "default", NamespaceProperty = "team-a" },
            ImagePullSecrets = [new V1LocalObjectReference { Name = "regcred" }, new V1LocalObjectReference { Name = "ecrcred" }],
        });

        Assert.True(ServiceAccountPatcher.AlreadyLists("regcred", "team-a", "default", known));
        Assert.True(ServiceAccountPatcher.AlreadyLists("ecrcred", "team-a", "default", known));
        Assert.False(ServiceAccountPatcher.AlreadyLists("other", "team-a", "default", known));
        Assert.False(ServiceAccountPatcher.AlreadyLists("regcred", "team-b", "default", known)); // not held: must be read
    }

    [Fact]
    public void Build_NewCredentialForSameTarget_BuildsNewContent()
    {
        var target = Target("ghcr");
        var before = SecretBuilder.Build(target, "team-a", Fresh("old-password"), null, Now);

        var after = SecretBuilder.Build(target, "team-a", Fresh("new-password"), null, Now);

        Assert.Contains("new-password", Encoding.UTF8.GetString(after.Secret.Data[ManagedSecret.DataKey]), StringComparison.Ordinal);
        Assert.NotEqual(before.Secret.Metadata.Annotations[ManagedSecret.ContentHashAnnotation], after.Secret.Metadata.Annotations[ManagedSecret.ContentHashAnnotation]);
    }

    [Fact]
    public void Build_CarriedOverEntriesDiffer_EachNamespaceKeepsItsOwn()
    {
        var target = Target("ghcr", "ecr");
        var fresh = Fresh("pw");
        var stored1 = SecretBuilder.Build(target, "team-a", WithEcr(fresh, "ecr-token-1"), null, Now).Secret;
        var stored2 = SecretBuilder.Build(target, "team-b", WithEcr(fresh, "ecr-token-2"), null, Now).Secret;

        // ecr not fetched this pass: each namespace carries over what its own stored secret holds.
        var a = SecretBuilder.Build(target, "team-a", fresh, stored1, Now);
        var b = SecretBuilder.Build(target, "team-b", fresh, stored2, Now);

        Assert.Contains("ecr-token-1", Encoding.UTF8.GetString(a.Secret.Data[ManagedSecret.DataKey]), StringComparison.Ordinal);
        Assert.Contains("ecr-token-2", Encoding.UTF8.GetString(b.Secret.Data[ManagedSecret.DataKey]), StringComparison.Ordinal);
        Assert.Empty(a.MissingRegistries);
    }

    [Fact]
    public void StoredSecretFacts_EqualBytesInDifferentArrays_OneInstance()
    {
        var json = """{"auths":{"ghcr.io":{"username":"u","password":"p","auth":"dTpw"}}}""";

        var first = StoredSecretFacts.Of(Encoding.UTF8.GetBytes(json));
        var second = StoredSecretFacts.Of(Encoding.UTF8.GetBytes(json));

        Assert.Same(first, second);
        Assert.Equal("p", first.Entries!["ghcr.io"].Password);
        Assert.Equal(SecretBuilder.Hash(Encoding.UTF8.GetBytes(json)), first.Hash);
    }

    [Fact]
    public void StoredSecretFacts_Corrupt_EntriesNullHashStillComputed()
    {
        var facts = StoredSecretFacts.Of(Encoding.UTF8.GetBytes("{not json"));

        Assert.Null(facts.Entries);
        Assert.StartsWith("sha256:", facts.Hash, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseShared_SameText_SameInstanceAndEqualToParse()
    {
        const string text = """{"ecr":{"servers":["1.dkr.ecr.us-east-1.amazonaws.com"],"expiresAt":"2026-11-26T23:00:00+00:00"}}""";

        var first = SecretSources.ParseShared(text);
        var second = SecretSources.ParseShared(text);

        Assert.Same(first, second);
        Assert.Equal(SecretSources.Parse(text)!["ecr"].ExpiresAt, first!["ecr"].ExpiresAt);
        Assert.Equal(["1.dkr.ecr.us-east-1.amazonaws.com"], first["ecr"].Servers);
    }

    [Fact]
    public void Serialize_SourceGenerated_KeepsTheAnnotationFormat()
    {
        var sources = new Dictionary<string, SourceRecord>
        {
            ["z"] = new(["z.io"], null),
            ["a"] = new(["a.io", "b.io"], new DateTimeOffset(2026, 11, 26, 23, 0, 0, TimeSpan.Zero)),
        };

        var json = SecretSources.Serialize(sources);

        // What the reflection serializer wrote before (annotations written by earlier versions must still compare equal).
        var reflection = System.Text.Json.JsonSerializer.Serialize(
            new SortedDictionary<string, SourceRecord>(sources, StringComparer.Ordinal), ReflectionJson);
        Assert.Equal(reflection, json);
        Assert.Equal("""{"a":{"servers":["a.io","b.io"],"expiresAt":"2026-11-26T23:00:00+00:00"},"z":{"servers":["z.io"],"expiresAt":null}}""", json);
    }

    [Fact]
    public async Task Run_ClusterWide_ListsSecretsAndServiceAccountsWhileNamespacesAreListed()
    {
        await using var h = await RotatorHarness.StartAsync();
        h.Api.AddNamespace("team-a", new Dictionary<string, string> { ["pull-secrets"] = "enabled" });
        var othersSeen = new CountdownEvent(2);
        var namespaceListSawOthers = false;
        h.Api.FaultHook = request =>
        {
            if (request.Verb != "list") return null;
            if (request.Resource == "namespaces")
                namespaceListSawOthers = othersSeen.Wait(TimeSpan.FromSeconds(20)); // fails the test, never hangs it
            else if (othersSeen.CurrentCount > 0)
                othersSeen.Signal();
            return null;
        };

        var result = await h.RunCliAsync("run", "--config", RunCommandTests.Config(h, """
            names: ["team-*"]
                  selector: "pull-secrets=enabled"
            """, serviceAccounts: "[default]"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(namespaceListSawOthers, "the secret and service-account LISTs waited for the namespace LIST");
        Assert.NotNull(h.Secret("team-a", "regcred"));
    }

    private static Dictionary<string, RegistryCredential> Fresh(string password) =>
        new() { ["ghcr"] = new([new DockerAuthEntry("ghcr.io", "bot", password)], null) };

    private static Dictionary<string, RegistryCredential> WithEcr(Dictionary<string, RegistryCredential> fresh, string token) =>
        new(fresh) { ["ecr"] = new([new DockerAuthEntry("1.dkr.ecr.us-east-1.amazonaws.com", "AWS", token)], Now.AddHours(12)) };
}
