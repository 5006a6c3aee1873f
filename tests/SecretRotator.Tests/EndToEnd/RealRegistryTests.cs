using System.Text;
using System.Text.Json;
using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.Published.Identity;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.EndToEnd;

/// <summary>
/// The tool against a real registry (Debian's docker-registry with htpasswd auth): settings.verify logs in for real,
/// and the .dockerconfigjson that the shipped binary writes is handed to skopeo, which must pull an image with it.
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

    /// <summary>
    /// The whole path as it ships: the binary (the AOT one in CI) writes the secret, whose bytes are skopeo's auth file.
    /// The TLS registry's self-signed certificate is the binary's only trusted root (OpenSSL reads SSL_CERT_FILE), as
    /// a cluster's private CA would be mounted into the pod.
    /// </summary>
    /// <param name="tls">false: server http://127.0.0.1:PORT; true: server 127.0.0.1:PORT (https, self-signed), skopeo's exact host:port.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secret_WrittenByTheShippedBinary_LetsSkopeoReadPushedImageAndWrongPasswordDoesNot(bool tls)
    {
        // Arrange
        var skopeo = ExternalTool.Require("skopeo");
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel, tls);
        await using var rig = await ProcessRig.StartAsync("default");
        var layout = Path.Combine(rig.Directory, "oci");
        var digest = OciImage.Write(layout, "1", "hello.txt", "pulled with a rotated secret\n");
        var image = $"docker://{registry.HostPort}/demo:1";
        var push = await ExternalTool.RunAsync(skopeo,
            ["--insecure-policy", "copy", "--dest-creds", $"{User}:{Good}", "--dest-tls-verify=false", $"oci:{layout}:1", image], ToolTimeout, Cancel);
        Assert.True(push.ExitCode == 0, $"push: {push}\n--- registry\n{registry.Log}");
        var environment = new Dictionary<string, string?>();
        if (registry.Certificate is { } certificate) environment["SSL_CERT_FILE"] = rig.WriteFile("registry-ca.pem", certificate.ExportCertificatePem());

        // Act: verify on with the right password; then verify off with a wrong one, so that it is written.
        var goodRun = await rig.RunAsync(ProcessConfig(rig, registry, Good, verify: true), environment);
        var goodSecret = rig.DockerConfigJson("default", "regcred", goodRun);
        var good = await InspectAsync(skopeo, rig.Directory, Encoding.UTF8.GetBytes(goodSecret), image, "good-auth.json");
        var badRun = await rig.RunAsync(ProcessConfig(rig, registry, Bad, verify: false), environment);
        var bad = await InspectAsync(skopeo, rig.Directory, Encoding.UTF8.GetBytes(rig.DockerConfigJson("default", "regcred", badRun)), image, "bad-auth.json");

        // Assert
        Assert.True(goodRun.ExitCode == 0, goodRun.ToString());
        Assert.Equal(ProcessRig.Expected((registry.Server, User, Good)), goodSecret);
        Assert.True(good.ExitCode == 0, $"inspect with the written secret: {good}\n--- registry\n{registry.Log}");
        using var inspected = JsonDocument.Parse(good.Stdout);
        Assert.Equal($"{registry.HostPort}/demo", inspected.RootElement.GetProperty("Name").GetString());
        Assert.Equal(digest, inspected.RootElement.GetProperty("Digest").GetString());
        Assert.True(badRun.ExitCode == 0, badRun.ToString());
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("unauthorized", bad.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    private static string ProcessConfig(ProcessRig rig, RealRegistry registry, string password, bool verify)
    {
        var file = rig.WriteFile($"password-{(verify ? "verified" : "unverified")}.txt", password);
        return $$$"""
            registries:
              - {name: local, type: static, server: "{{{registry.Server}}}", username: {{{User}}}, password: {file: "{{{file}}}"}}
            secrets:
              - {name: regcred, registries: [local], namespaces: {names: [default]}}
            settings: {verify: {{{(verify ? "true" : "false")}}} }
            """;
    }

    private static async Task<ToolResult> InspectAsync(string skopeo, string directory, byte[] dockerconfigjson, string image, string fileName)
    {
        var authfile = Path.Combine(directory, fileName);
        await File.WriteAllBytesAsync(authfile, dockerconfigjson, Cancel);
        return await ExternalTool.RunAsync(skopeo, ["--insecure-policy", "inspect", "--authfile", authfile, "--tls-verify=false", image], ToolTimeout, Cancel);
    }
}
