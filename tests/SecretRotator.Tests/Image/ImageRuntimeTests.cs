using System.Text;
using System.Text.RegularExpressions;
using SecretRotator.Tests.Fakes.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Image;

/// <summary>
/// The image's ENTRYPOINT, started the way a container runtime would start it, without a container engine: the Native
/// AOT binary in a root holding only the runtime-deps image's packages, as uid 65532, read-only, with a tmpfs /tmp, no
/// shell and no ICU, against the loopback fake API server. What this does not prove: docs/image.md.
/// </summary>
public sealed partial class ImageRuntimeTests(ImageRoot image) : IClassFixture<ImageRoot>, IAsyncLifetime
{
    private const string Password = "pw-image-5b1c07";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private FakeKubeApiServer _api = null!;
    private DirectoryInfo? _root;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(cancellationToken: Ct);
        _api.AddNamespace("team-a");
        _api.AddNamespace("kube-system");
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        _root?.Delete(recursive: true);
    }

    [GeneratedRegex(@"http://[^\s,""]*:(\d+)")]
    private static partial Regex Listening();

    /// <summary>The config at the image's default path, a kubeconfig for the fake, and the password file.</summary>
    private async Task<DirectoryInfo> RootAsync()
    {
        if (!ImageRoot.IsUsable(out var why))
        {
            if (RequiredTool.IsCi) Assert.Fail($"{why} (CI=true: required, not skipped)");
            Assert.Skip(why);
        }
        _root = await image.ExtractAsync(new Dictionary<string, string>
        {
            ["/etc/secret-rotator/config.yaml"] = """
                registries:
                  - {name: hub, type: static, server: registry.example.com, username: robot, password: {file: /etc/secret-rotator/password}}
                secrets:
                  - {name: regcred, registries: [hub], namespaces: {names: ["team-*"]}, serviceAccounts: [default]}
                """,
            ["/etc/secret-rotator/password"] = Password,
            ["/etc/secret-rotator/kubeconfig"] = $$$"""
                apiVersion: v1
                kind: Config
                clusters: [{name: fake, cluster: {server: "{{{_api.Url.ToString().TrimEnd('/')}}}"}}]
                users: [{name: fake, user: {token: image-token}}]
                contexts: [{name: fake, context: {cluster: fake, user: fake}}]
                current-context: fake
                """,
        }, Ct);
        return _root;
    }

    private static readonly Dictionary<string, string> Kubeconfig = new(StringComparer.Ordinal) { ["KUBECONFIG"] = "/etc/secret-rotator/kubeconfig" };

    private void AssertServed(string ns)
    {
        var secret = _api.GetSecret(ns, "regcred");
        Assert.True(secret is not null, $"no secret regcred in {ns}");
        Assert.Contains(Password, Encoding.UTF8.GetString(secret.Data[".dockerconfigjson"]), StringComparison.Ordinal);
        Assert.Contains("regcred", (_api.GetServiceAccount(ns, "default")?.ImagePullSecrets ?? []).Select(r => r.Name));
    }

    [Fact]
    public async Task Root_Extracted_HasNoShellNoIcuAndTheImagesRuntimeLibraries()
    {
        // Arrange
        var root = await RootAsync();
        static bool Has(DirectoryInfo root, string pattern) => root.EnumerateFiles(pattern, SearchOption.AllDirectories).Any();

        // Assert: what the chiseled image lacks, and what the binary loads (libssl through SHA-256 and TLS).
        Assert.All(new[] { "bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "bin/dash", "usr/bin/dash", "usr/bin/perl" },
            shell => Assert.False(File.Exists(Path.Combine(root.FullName, shell)), $"{shell} exists"));
        Assert.False(Has(root, "libicu*"), "ICU in the root");
        Assert.All(new[] { "libc.so.6", "libgcc_s.so.1", "libstdc++.so.6", "libssl.so.3", "libcrypto.so.3", "libz.so.1" },
            lib => Assert.True(Has(root, lib), $"{lib} missing"));
        Assert.Equal("65532:65532", image.Runtime.User);
        Assert.Equal(["/app/secret-rotator"], image.Runtime.Entrypoint);
    }

    [Fact]
    public async Task Run_InImageRoot_WritesSecretsAndPatchesAccounts()
    {
        // Arrange
        var root = await RootAsync();

        // Act: the Dockerfile's CMD is `run`; the config is at its default path.
        await using var run = image.Start(root, Kubeconfig, "run");
        var exitCode = await run.WaitForExitAsync(Deadline);

        // Assert
        Assert.True(exitCode == 0, run.ToString());
        AssertServed("team-a");
        Assert.DoesNotContain(Password, run.Stdout + run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daemon_InImageRoot_ReadyzAnswersWatchServesNewNamespaceAndSigtermExitsZero()
    {
        // Arrange
        var root = await RootAsync();
        await using var daemon = image.Start(root, Kubeconfig, "daemon", "--port", "0", "--lease-namespace", "kube-system");
        var logs = await daemon.WaitForStderrAsync(s => s.Contains("Serving /metrics", StringComparison.Ordinal), Deadline, "the daemon listens");
        var serving = logs.Split('\n').First(l => l.Contains("Serving /metrics", StringComparison.Ordinal));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Listening().Match(serving).Groups[1].Value}/") };
        await WaitUntilAsync(daemon, () => _api.GetSecret("team-a", "regcred") is not null, "the first pass serves team-a");

        // Act
        var ready = await PollReadyzAsync(daemon, http);
        _api.AddNamespace("team-late");
        await WaitUntilAsync(daemon, () => _api.GetServiceAccount("team-late", "default")?.ImagePullSecrets?.Count > 0, "the watch serves team-late");
        var sandbox = ProcessView.Of(daemon.Id);
        await daemon.TerminateAsync();
        var exitCode = await daemon.WaitForExitAsync(Deadline);

        // Assert: served, ready, and really run as the image would be (uid, read-only root, tmpfs /tmp).
        Assert.Equal("ok\n", ready);
        AssertServed("team-a");
        AssertServed("team-late");
        Assert.True(exitCode == 0, daemon.ToString());
        Assert.Equal(("65532", "65532"), (sandbox.Uid, sandbox.Gid));
        Assert.Contains("ro", sandbox.MountOptions("/"));
        Assert.Equal("tmpfs", sandbox.FileSystem("/tmp"));
        Assert.DoesNotContain("Exception", daemon.Stderr, StringComparison.Ordinal);
    }

    private static async Task<string> PollReadyzAsync(RunningRotator daemon, HttpClient http)
    {
        var body = "";
        await WaitUntilAsync(daemon, async () =>
        {
            using var response = await http.GetAsync(new Uri("readyz", UriKind.Relative), Ct);
            body = await response.Content.ReadAsStringAsync(Ct);
            return response.IsSuccessStatusCode;
        }, "/readyz answers 200");
        return body;
    }

    private static Task WaitUntilAsync(RunningRotator process, Func<bool> condition, string what) =>
        WaitUntilAsync(process, () => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(RunningRotator process, Func<Task<bool>> condition, string what)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            if (process.HasExited) throw new Xunit.Sdk.XunitException($"exited before: {what}\n{process}");
            if (TimeProvider.System.GetElapsedTime(started) > Deadline) throw new Xunit.Sdk.XunitException($"not within {Deadline}: {what}\n{process}");
            await Task.Delay(50, Ct);
        }
    }
}

/// <summary>What /proc says about a running process: its ids and the mounts it sees (inside its chroot).</summary>
internal sealed record ProcessView(string Uid, string Gid, IReadOnlyList<string[]> Mounts)
{
    public static ProcessView Of(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        string Field(string name) => status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split('\t')[1];
        var mounts = File.ReadAllLines($"/proc/{pid}/mountinfo").Select(l => l.Split(' ')).ToList();
        return new ProcessView(Field("Uid"), Field("Gid"), mounts);
    }

    // mountinfo: id parent major:minor root mount-point options [optional...] - fstype source super-options
    private string[] Mount(string point) => Mounts.Last(m => m[4] == point);

    public IReadOnlyList<string> MountOptions(string point) => Mount(point)[5].Split(',');

    public string FileSystem(string point)
    {
        var m = Mount(point);
        return m[Array.IndexOf(m, "-") + 1];
    }
}
