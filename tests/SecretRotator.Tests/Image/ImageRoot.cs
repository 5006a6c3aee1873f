using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SecretRotator.Tests.EndToEnd;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Image;

/// <summary>
/// A root file system made of the packages the chiseled runtime-deps image carries, extracted from Debian with
/// <c>mmdebstrap --variant=extract</c> (no maintainer scripts, no shell, no ICU), with the Native AOT binary copied to
/// where the Dockerfile puts it. The tarball is cached between runs (it needs the Debian mirror, about 30 s); each
/// test extracts a fresh copy.
/// </summary>
public sealed class ImageRoot : IAsyncLifetime
{
    public const string Suite = "bookworm";
    public const string Mirror = "http://deb.debian.org/debian";

    /// <summary>What runtime-deps:10.0-noble-chiseled is built from (its chisel slices), by Debian package name.</summary>
    public static readonly IReadOnlyList<string> Packages = ["libc6", "libgcc-s1", "libstdc++6", "libssl3", "zlib1g", "ca-certificates"];

    private static readonly TimeSpan CacheLifetime = TimeSpan.FromDays(7);

    /// <summary>The image's runtime stage as the Dockerfile states it (user, environment, entrypoint).</summary>
    public DockerfileRuntime Runtime { get; } = DockerfileRuntime.Parse(File.ReadAllText(Path.Combine(TestData.RepoRoot, "Dockerfile")));

    public string Tarball { get; private set; } = "";

    /// <summary>The Native AOT executable (SECRET_ROTATOR_BINARY); the dll cannot run without the .NET runtime the image lacks.</summary>
    public string Binary { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        // Preconditions are checked in the tests (Assert.Skip cannot be thrown from a fixture).
        if (!IsUsable(out _)) return;
        Binary = RotatorProcess.Binary!;
        Tarball = await CachedTarballAsync(TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Root (for chroot and mounts), mmdebstrap and the native binary; without them the tests skip, or fail under CI=true.</summary>
    public static bool IsUsable(out string why)
    {
        why = !IsUid0()
            ? "chroot and mount need root"
            : RotatorProcess.Binary is not { } binary || !File.Exists(binary)
                ? $"set {RotatorProcess.BinaryVariable} to a Native AOT build (AOT=1 scripts/publish.sh DIR)"
                : FindOnPath("mmdebstrap") is null ? "mmdebstrap is not installed; run scripts/install-image-deps.sh" : "";
        return why.Length == 0;
    }

    private static bool IsUid0() => File.ReadLines("/proc/self/status").Any(l => l.StartsWith("Uid:", StringComparison.Ordinal) && l.Split('\t')[1] == "0");

    private static string? FindOnPath(string name) => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static async Task<string> CachedTarballAsync(CancellationToken ct)
    {
        var cache = Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "secret-rotator-tests");
        Directory.CreateDirectory(cache);
        var tarball = Path.Combine(cache, $"runtime-deps-{Suite}-{string.Join('+', Packages)}.tar");
        if (File.Exists(tarball) && DateTime.UtcNow - File.GetLastWriteTimeUtc(tarball) < CacheLifetime) return tarball;

        // Written aside and moved into place, so a parallel test run never reads half a tarball.
        var partial = $"{tarball}.{Environment.ProcessId}.partial";
        var result = await ExternalTool.RunAsync("mmdebstrap", ["--variant=extract", "--format=tar", "--quiet", $"--include={string.Join(',', Packages)}", Suite, partial, Mirror],
            TimeSpan.FromMinutes(5), ct);
        Assert.True(result.ExitCode == 0, $"mmdebstrap failed: {result}");
        File.Move(partial, tarball, overwrite: true);
        return tarball;
    }

    /// <summary>
    /// A fresh copy of the root with the binary in /app (as the Dockerfile copies the publish folder) and
    /// <paramref name="files"/> written at their absolute paths inside it, readable by the image's user.
    /// </summary>
    public async Task<DirectoryInfo> ExtractAsync(IReadOnlyDictionary<string, string> files, CancellationToken ct)
    {
        var root = Directory.CreateTempSubdirectory("secret-rotator-image-");
        var untar = await ExternalTool.RunAsync("tar", ["-xf", Tarball, "-C", root.FullName], TimeSpan.FromMinutes(1), ct);
        Assert.True(untar.ExitCode == 0, untar.ToString());
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(root.FullName, (UnixFileMode)0b111_101_101); // the image's user must enter /

        var app = Directory.CreateDirectory(Path.Combine(root.FullName, "app"));
        foreach (var file in new[] { Binary, Path.Combine(Path.GetDirectoryName(Binary)!, "appsettings.json") }.Where(File.Exists))
            File.Copy(file, Path.Combine(app.FullName, Path.GetFileName(file)));

        // Mount points: tmpfs /tmp, /proc, and the device nodes a container runtime provides.
        foreach (var dir in new[] { "tmp", "proc", "dev" }) Directory.CreateDirectory(Path.Combine(root.FullName, dir));
        foreach (var device in Devices) await File.WriteAllBytesAsync(Path.Combine(root.FullName, "dev", device), [], ct);

        // update-ca-certificates is a maintainer script, which the extract variant does not run; the chiseled image ships
        // the bundle it would have written.
        var certs = Directory.CreateDirectory(Path.Combine(root.FullName, "etc", "ssl", "certs"));
        var bundle = new StringBuilder();
        foreach (var crt in Directory.EnumerateFiles(Path.Combine(root.FullName, "usr", "share", "ca-certificates"), "*.crt", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            bundle.Append(await File.ReadAllTextAsync(crt, ct));
        await File.WriteAllTextAsync(Path.Combine(certs.FullName, "ca-certificates.crt"), bundle.ToString(), ct);

        foreach (var (path, content) in files)
        {
            var target = Path.Combine(root.FullName, path.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await File.WriteAllTextAsync(target, content, ct);
        }
        return root;
    }

    internal static readonly string[] Devices = ["null", "zero", "random", "urandom"];

    /// <summary>
    /// Starts the image's entrypoint with <paramref name="args"/> in <paramref name="root"/>: a private mount namespace
    /// (unshare -m) where the root is bind-mounted read-only with a tmpfs /tmp, /proc and the usual device nodes, then
    /// chroot as the Dockerfile's USER with only the Dockerfile's ENV (plus <paramref name="environment"/>). unshare, sh,
    /// env and chroot all exec, so the returned process is the binary itself and SIGTERM reaches it.
    /// </summary>
    public RunningRotator Start(DirectoryInfo root, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        const string script = """
            set -eu
            root="$1"; user="$2"; shift 2
            mount --bind "$root" "$root"
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"
            mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
            for d in null zero random urandom; do mount --bind "/dev/$d" "$root/dev/$d"; done
            mount -o remount,bind,ro "$root"
            exec chroot --userspec="$user" "$root" "$@"
            """;
        var start = new ProcessStartInfo("unshare")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in new[] { "--mount", "--propagation", "private", "sh", "-c", script, "sh", root.FullName, Runtime.User }) start.ArgumentList.Add(a);
        // `env -i` inside chroot is impossible (no env binary in the image): the process starts with exactly this.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var (name, value) in Runtime.Environment.Concat(environment)) start.Environment[name] = value;
        foreach (var a in Runtime.Entrypoint.Concat(args)) start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start unshare");
        return new RunningRotator(process, TestContext.Current.CancellationToken);
    }
}

/// <summary>The final stage of the Dockerfile: what a container runtime would apply when it starts the image.</summary>
public sealed record DockerfileRuntime(string From, string User, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> Entrypoint)
{
    public static DockerfileRuntime Parse(string dockerfile)
    {
        var lines = dockerfile.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n')
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var stage = lines[lines.FindLastIndex(l => l.StartsWith("FROM ", StringComparison.Ordinal))..];
        string? Instruction(string name) => stage.LastOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal))?[(name.Length + 1)..].Trim();

        var environment = stage.Where(l => l.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(l => l[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
        var entrypoint = JsonSerializer.Deserialize<string[]>(Instruction("ENTRYPOINT") ?? "[]") ?? [];
        return new DockerfileRuntime(Instruction("FROM")!, Instruction("USER") ?? "0:0", environment, entrypoint);
    }
}
