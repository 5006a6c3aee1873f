using System.Text;
using System.Text.Json;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Explain;

/// <summary><c>explain IMAGE</c> through the CLI against the fake API server: what kubelet would use, or why nothing.</summary>
public sealed class ExplainCommandTests
{
    private const string Ns = "team-a";

    private static async Task<RotatorHarness> StartAsync() => await RotatorHarness.StartAsync(Ns);

    /// <summary>A secret with the given auths keys; managed ones carry a sources annotation mapping every key to "local", expiring at 18:00.</summary>
    private static void AddSecret(RotatorHarness h, string name, bool managed, params string[] servers)
    {
        var auths = string.Join(",", servers.Select(s => $"{JsonSerializer.Serialize(s)}:{{\"auth\":\"dTpw\"}}"));
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Ns },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = Encoding.UTF8.GetBytes($"{{\"auths\":{{{auths}}}}}") },
        };
        if (managed)
        {
            secret.Metadata.Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue };
            secret.Metadata.Annotations = new Dictionary<string, string>
            {
                [ManagedSecret.SourcesAnnotation] = $"{{\"local\":{{\"servers\":{JsonSerializer.Serialize(servers)},\"expiresAt\":\"2026-11-26T18:00:00+00:00\"}}}}",
                [ManagedSecret.ExpiresAtAnnotation] = "2026-11-26T18:00:00Z",
            };
        }
        h.Api.AddSecret(secret);
    }

    private static void Reference(RotatorHarness h, params string[] secrets)
    {
        var account = h.Api.GetServiceAccount(Ns, "default")!;
        account.ImagePullSecrets = secrets.Select(s => new V1LocalObjectReference { Name = s }).ToList();
        h.Api.ReplaceServiceAccount(account);
    }

    [Fact]
    public async Task Explain_EntryMatches_NamesSecretEntryRegistryAndExpiryAndWritesNothing()
    {
        await using var h = await StartAsync();
        AddSecret(h, "regcred", managed: true, "ghcr.io", "registry.local:5000");
        Reference(h, "regcred");
        h.Api.ClearJournal();

        var result = await h.RunCliAsync("explain", "registry.local:5000/team/app:1.0", "-n", Ns);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("looks up: registry.local:5000/team/app\n", result.Stdout);
        Assert.Contains("result:   kubelet uses secret regcred, entry \"registry.local:5000\" (registry local, expires 2026-11-26T18:00:00Z, in 6h)", result.Stdout);
        Assert.Contains("secret regcred, entry \"ghcr.io\": no entry for host registry.local:5000: the key is for ghcr.io", result.Stdout);
        Assert.Empty(h.Api.Writes);
    }

    [Fact]
    public async Task Explain_KeyWithoutThePort_SaysPortDiffersAndExits1()
    {
        await using var h = await StartAsync();
        AddSecret(h, "regcred", managed: false, "registry.local");
        Reference(h, "regcred");

        var result = await h.RunCliAsync("explain", "registry.local:5000/app", "--namespace", Ns);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("result:   no pull secret entry matches: kubelet pulls registry.local:5000/app without pod credentials (a node credential provider may still apply)", result.Stdout);
        Assert.Contains("entry \"registry.local\": port differs: the key has no port, the image port 5000 (write the key as registry.local:5000)", result.Stdout);
    }

    [Fact]
    public async Task Explain_SecretMissingInNamespace_SaysKubeletSkipsIt()
    {
        await using var h = await StartAsync();
        Reference(h, "regcred");

        var result = await h.RunCliAsync("explain", "ghcr.io/org/app", "-n", Ns);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("  regcred  missing: not found in namespace team-a: kubelet skips it", result.Stdout);
        Assert.Contains("no pull secret entry matches", result.Stdout);
    }

    [Fact]
    public async Task Explain_ServiceAccountDoesNotReferenceTheManagedSecret_SaysSo()
    {
        await using var h = await StartAsync();
        AddSecret(h, "regcred", managed: true, "ghcr.io");

        var result = await h.RunCliAsync("explain", "ghcr.io/org/app", "-n", Ns);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("pull secrets: none referenced by the service account", result.Stdout);
        Assert.Contains("not referenced: secret regcred in namespace team-a has entry \"ghcr.io\" for this image (registry local, expires 2026-11-26T18:00:00Z, in 6h), "
            + "but service account default does not list it in imagePullSecrets", result.Stdout);
    }

    [Fact]
    public async Task Explain_Json_HasMatchCandidatesMissesAndSecretStates()
    {
        await using var h = await StartAsync();
        AddSecret(h, "regcred", managed: true, "ghcr.io/org", "ghcr.io", "quay.io");
        Reference(h, "regcred", "gone");

        var result = await h.RunCliAsync("explain", "ghcr.io/org/app", "-n", Ns, "-o", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        Assert.Equal("ghcr.io/org/app", root.GetProperty("repository").GetString());
        Assert.Equal("cluster", root.GetProperty("source").GetString());
        Assert.Equal(["ok", "missing"], root.GetProperty("pullSecrets").EnumerateArray().Select(s => s.GetProperty("state").GetString()));
        var match = root.GetProperty("match");
        Assert.Equal(("regcred", "ghcr.io/org", "local", "2026-11-26T18:00:00+00:00"),
            (match.GetProperty("secret").GetString(), match.GetProperty("server").GetString(), match.GetProperty("registry").GetString(), match.GetProperty("expiresAt").GetString()));
        // Longer path first, then its host: the order kubelet tries them in.
        Assert.Equal(["ghcr.io/org", "ghcr.io"], root.GetProperty("candidates").EnumerateArray().Select(c => c.GetProperty("server").GetString()));
        var miss = Assert.Single(root.GetProperty("misses").EnumerateArray());
        Assert.Equal(("quay.io", "host_differs"), (miss.GetProperty("server").GetString(), miss.GetProperty("reason").GetString()));
        Assert.DoesNotContain("dTpw", result.Stdout);
    }

    [Theory]
    [InlineData("https://index.docker.io/v1/", "nginx", 0)]
    [InlineData("https://index.docker.io/v1/", "docker.io/library/nginx:1.27", 0)]
    [InlineData("docker.io", "index.docker.io/library/nginx", 0)]
    [InlineData("registry-1.docker.io", "nginx", 1)]
    public async Task Explain_DockerHubImage_FollowsKubeletsDockerHubAliases(string key, string image, int exitCode)
    {
        await using var h = await StartAsync();
        AddSecret(h, "hub", managed: false, key);
        Reference(h, "hub");

        var result = await h.RunCliAsync("explain", image, "-n", Ns);

        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains("looks up: docker.io/library/nginx (Docker Hub)", result.Stdout);
        if (exitCode == 1) Assert.Contains("use https://index.docker.io/v1/ (what docker login writes) or docker.io", result.Stdout);
    }

    [Fact]
    public async Task Explain_MalformedReferencedSecret_SaysEveryPullFails()
    {
        await using var h = await StartAsync();
        h.Api.AddSecret(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "broken", NamespaceProperty = Ns },
            Type = ManagedSecret.SecretType,
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = """{"auths":{"ghcr.io":"x"}}"""u8.ToArray() },
        });
        AddSecret(h, "regcred", managed: false, "ghcr.io");
        Reference(h, "broken", "regcred");

        var result = await h.RunCliAsync("explain", "ghcr.io/org/app", "-n", Ns);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("result:   kubelet fails every pull of the pod: secret broken .dockerconfigjson is not valid JSON", result.Stdout);
    }

    [Fact]
    public async Task Explain_ServiceAccountMissing_SaysSoAndExits1()
    {
        await using var h = await StartAsync();

        var result = await h.RunCliAsync("explain", "ghcr.io/org/app", "-n", Ns, "--service-account", "builder");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("service account team-a/builder not found", result.Stdout);
    }

    [Theory]
    [InlineData("ghcr.io/Org/app")]
    [InlineData("https://ghcr.io/org/app")]
    public async Task Explain_NotAnImageReference_Exits2(string image)
    {
        await using var h = await StartAsync();

        var result = await h.RunCliAsync("explain", image);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: IMAGE '{image}'", result.Stderr);
    }

    [Fact]
    public async Task Explain_ListingForbidden_StillExplainsWithANote()
    {
        await using var h = await StartAsync();
        AddSecret(h, "regcred", managed: false, "ghcr.io");
        Reference(h, "regcred");
        h.Api.Deny(Fakes.Kubernetes.RbacDenyRule.InNamespace("list", "secrets", Ns));

        var result = await h.RunCliAsync("explain", "ghcr.io/org/app", "-n", Ns);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("note:     not allowed to list secrets in namespace team-a", result.Stdout);
    }
}
