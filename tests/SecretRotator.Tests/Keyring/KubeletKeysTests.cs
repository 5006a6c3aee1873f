using SecretRotator.Kubernetes.Keyring;

namespace SecretRotator.Tests.Keyring;

public sealed class KubeletKeysTests
{
    [Theory]
    [InlineData("https://index.docker.io/v1/", "index.docker.io")]
    [InlineData("index.docker.io", "index.docker.io")]
    [InlineData("docker.io", "docker.io")]
    [InlineData("http://registry.local:5000", "registry.local:5000")]
    [InlineData("https://quay.io/v2/", "quay.io")]
    [InlineData("https://quay.io/v1/team", "quay.io/team")]
    [InlineData("ghcr.io/org", "ghcr.io/org")]
    [InlineData("ghcr.io/", "ghcr.io")]
    public void Normalize_Server_GivesKubeletsKey(string server, string key) => Assert.Equal(key, KubeletKeys.Normalize(server));

    [Theory]
    [InlineData("registry.local:50x0")]
    [InlineData("bad host")]
    [InlineData("ghcr.io/%zz")]
    public void Normalize_UnparsableServer_IsNull(string server) => Assert.Null(KubeletKeys.Normalize(server));

    [Theory]
    [InlineData("registry.local", "registry.local:5000/app", KeyMatch.PortDiffers)]
    [InlineData("ghcr.io:443", "ghcr.io/org/app", KeyMatch.PortDiffers)]
    [InlineData("*.azurecr.io", "a.b.azurecr.io/app", KeyMatch.LabelCountDiffers)]
    [InlineData("ghcr.io", "quay.io/app", KeyMatch.HostDiffers)]
    [InlineData("ghcr.io/team-a", "ghcr.io/team-b/app", KeyMatch.PathNotPrefix)]
    [InlineData("ghcr.io/team", "ghcr.io/team-b/app", KeyMatch.Match)]
    [InlineData("[a-c]*.example.com", "b1.example.com/x", KeyMatch.Match)]
    // Go's url.Parse rejects "^" in a host, so kubelet can never use a negated class in a key.
    [InlineData("[^a-c]*.example.com", "b1.example.com/x", KeyMatch.Unparsable)]
    [InlineData("[a-.example.com", "a.example.com/x", KeyMatch.HostDiffers)]
    public void Match_KeyAndImage_GivesFirstReason(string key, string image, KeyMatch expected) =>
        Assert.Equal(expected, KubeletKeys.Match(key, image));

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("\\*", "*", true)]
    [InlineData("\\*", "a", false)]
    [InlineData("[", "[", false)]
    [InlineData("x[", "y", false)]
    [InlineData("[^a-c]1", "d1", true)]
    [InlineData("[a-z][0-9]", "q7", true)]
    public void LabelGlob_Pattern_MatchesLikeGoFilepathMatch(string pattern, string label, bool expected) =>
        Assert.Equal(expected, LabelGlob.Matches(pattern, label));

    [Fact]
    public void Lookup_SameKeyInTwoSecrets_ReturnsBothInAddOrder()
    {
        var keyring = new DockerKeyring<string>();
        keyring.Add("ghcr.io", "first");
        keyring.Add("https://ghcr.io/v2/", "second");
        keyring.Add("quay.io", "other");

        var hits = keyring.Lookup("ghcr.io/org/app");

        Assert.Equal(["first", "second"], hits.Select(h => h.Entry.Value));
    }

    [Theory]
    [InlineData("docker.io", "docker.io/library/nginx", false)]
    [InlineData("https://index.docker.io/v1/", "docker.io/library/nginx", true)]
    public void Lookup_DockerHubKey_ServesNormalisedDockerHubImages(string server, string repository, bool viaDefault)
    {
        var keyring = new DockerKeyring<string>();
        keyring.Add(server, "hub");

        var hit = Assert.Single(keyring.Lookup(repository));

        Assert.Equal(viaDefault, hit.DockerHubDefault);
    }

    [Fact]
    public void Lookup_RegistryOneDockerIoKey_NeverServesDockerHubImages()
    {
        var keyring = new DockerKeyring<string>();
        keyring.Add("registry-1.docker.io", "hub");

        Assert.Empty(keyring.Lookup("docker.io/library/nginx"));
    }
}
