using System.Text;
using System.Text.Json;
using k8s.Models;
using SecretRotator.Kubernetes;
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

    private static string Config(RotatorHarness h, RealRegistry registry, string password, bool verify)
    {
        h.WriteFile("password.txt", password);
        return h.WriteConfig($$"""
            registries:
              - name: local
                type: static
                server: {{registry.Server}}
                username: {{User}}
                password: {file: password.txt}
            secrets:
              - name: regcred
                registries: [local]
                namespaces:
                  names: [default]
            settings:
              verify: {{(verify ? "true" : "false")}}
            """);
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
    public async Task Secret_WrittenByRun_LetsSkopeoReadPushedImageAndWrongPasswordDoesNot()
    {
        var skopeo = ExternalTool.Require("skopeo");
        await using var registry = await RealRegistry.StartAsync(User, Good, Cancel);
        await using var h = await RotatorHarness.StartAsync("default");
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
