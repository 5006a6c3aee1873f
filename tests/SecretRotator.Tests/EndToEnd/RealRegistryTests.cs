using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Kubernetes;
using SecretRotator.Registries.Verification;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.EndToEnd;

/// <summary>
/// The tool against a real registry (Debian's docker-registry with htpasswd auth): settings.verify logs in for real,
/// and the .dockerconfigjson it writes is handed to skopeo, which must pull an image with it.
/// Needs docker-registry, htpasswd and skopeo (scripts/install-registry-deps.sh); skipped without them unless CI=true.
/// </summary>
public sealed class RealRegistryTests
{
    private const string User = "e2e-bot";
    private const string Good = "e2e-Good-pass-7f3a";
    private const string Bad = "e2e-Bad-pass-7f3a";
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Config(RotatorHarness h, RealRegistry registry, string password, bool verify) =>
        h.WriteVerifyConfig(registry.Server, User, password, verify);

    /// <summary>The verifier's HTTP client trusts the registry's self-signed certificate (as a cluster would trust its private CA).</summary>
    private static void TrustRegistry(RotatorHarness h, RealRegistry registry)
    {
        if (registry.Certificate is not { } certificate) return;
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(certificate);
        h.Configure = services => services.AddHttpClient(RegistryVerifier.HttpClientName).ConfigurePrimaryHttpMessageHandler(() =>
            new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy } });
    }

    private static byte[] Dockerconfig(RotatorHarness h) => h.Secret("default", "regcred").Data[ManagedSecret.DataKey];

    [Fact]
    public async Task Run_VerifyRightPasswordAgainstRealRegistry_WritesSecret()
    {
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, registry, Good, verify: true));

        Assert.True(result.ExitCode == 0, $"{result}\n--- registry\n{registry.Log}");
        Assert.Contains($"\"password\":\"{Good}\"", Encoding.UTF8.GetString(Dockerconfig(h)));
        Assert.Contains($"Verified credential for {registry.Server} (user {User}, basic auth)", result.Logs);
    }

    [Fact]
    public async Task Run_VerifyWrongPasswordAgainstRealRegistry_FirstRunWritesNothing()
    {
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, registry, Bad, verify: true));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("registry local: FAILED (verify_failed)", result.Stdout);
        Assert.Null(h.Api.GetSecret("default", "regcred"));
        Assert.DoesNotContain(Bad, result.All);
    }

    [Fact]
    public async Task Run_VerifyWrongPasswordAgainstRealRegistry_SecondRunKeepsPreviousEntry()
    {
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel);
        await using var h = await RotatorHarness.StartAsync("default");
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", Config(h, registry, Good, verify: true))).ExitCode);
        var before = h.Secret("default", "regcred").ResourceVersion();
        h.Time.Advance(TimeSpan.FromMinutes(5));

        var result = await h.RunCliAsync("run", "--config", Config(h, registry, Bad, verify: true));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("registry local: FAILED (verify_failed)", result.Stdout);
        Assert.Equal(before, h.Secret("default", "regcred").ResourceVersion());
        Assert.Contains($"\"password\":\"{Good}\"", Encoding.UTF8.GetString(Dockerconfig(h)));
    }

    [Fact]
    public async Task Run_VerifyTlsRegistryWithUntrustedCertificate_FailsUnreachableAndWritesNothing()
    {
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel, tls: true);
        await using var h = await RotatorHarness.StartAsync("default");

        var result = await h.RunCliAsync("run", "--config", Config(h, registry, Good, verify: true));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("registry local: FAILED (verify_unreachable)", result.Stdout);
        Assert.Null(h.Api.GetSecret("default", "regcred"));
    }

    /// <param name="tls">false: server http://127.0.0.1:PORT; true: server 127.0.0.1:PORT (https, self-signed), skopeo's exact host:port.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secret_WrittenByRun_LetsSkopeoReadPushedImageAndWrongPasswordDoesNot(bool tls)
    {
        var skopeo = ExternalTool.Require("skopeo");
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel, tls);
        await using var h = await RotatorHarness.StartAsync("default");
        TrustRegistry(h, registry);
        var layout = Path.Combine(h.Directory, "oci");
        var digest = OciImage.Write(layout, "1", "hello.txt", "pulled with a rotated secret\n");
        var image = $"docker://{registry.HostPort}/demo:1";
        var push = await ExternalTool.RunAsync(skopeo,
            ["--insecure-policy", "copy", "--dest-creds", $"{User}:{Good}", "--dest-tls-verify=false", $"oci:{layout}:1", image], ToolTimeout, Cancel);
        Assert.True(push.ExitCode == 0, $"push: {push}\n--- registry\n{registry.Log}");

        // The secret the tool wrote, byte for byte, is skopeo's auth file.
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", Config(h, registry, Good, verify: true))).ExitCode);
        var good = await InspectAsync(skopeo, h, Dockerconfig(h), image, "good-auth.json");
        // A secret holding the wrong password (verify off, so it is written) must not get in.
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", Config(h, registry, Bad, verify: false))).ExitCode);
        var bad = await InspectAsync(skopeo, h, Dockerconfig(h), image, "bad-auth.json");

        Assert.True(good.ExitCode == 0, $"inspect with the written secret: {good}\n--- registry\n{registry.Log}");
        using var inspected = JsonDocument.Parse(good.Stdout);
        Assert.Equal($"{registry.HostPort}/demo", inspected.RootElement.GetProperty("Name").GetString());
        Assert.Equal(digest, inspected.RootElement.GetProperty("Digest").GetString());
        using var written = JsonDocument.Parse(Dockerconfig(h));
        Assert.Equal(registry.Server, Assert.Single(written.RootElement.GetProperty("auths").EnumerateObject()).Name);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("unauthorized", bad.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<ToolResult> InspectAsync(string skopeo, RotatorHarness h, byte[] dockerconfigjson, string image, string fileName)
    {
        var authfile = Path.Combine(h.Directory, fileName);
        await File.WriteAllBytesAsync(authfile, dockerconfigjson, Cancel);
        return await ExternalTool.RunAsync(skopeo, ["--insecure-policy", "inspect", "--authfile", authfile, "--tls-verify=false", image], ToolTimeout, Cancel);
    }
}
