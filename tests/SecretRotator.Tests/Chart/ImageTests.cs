using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Chart;

/// <summary>
/// No container engine runs here, so the image is checked by what it is made of: the Dockerfile's publish is
/// scripts/publish.sh with AOT=1 (which .ci/run executes), the native binary on the chiseled runtime-deps image (no .NET
/// runtime in it), as the uid the chart runs it with.
/// </summary>
public sealed class ImageTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(TestData.RepoRoot, "Dockerfile"));

    [Fact]
    public void Dockerfile_BuildStage_PublishesWithTheScriptCiRuns()
    {
        var ci = File.ReadAllText(Path.Combine(TestData.RepoRoot, ".ci", "run"));

        Assert.Contains("RUN AOT=1 scripts/publish.sh /app", Dockerfile, StringComparison.Ordinal);
        Assert.Contains("AOT=1 scripts/publish.sh \"$work/publish\"", ci, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet publish", Dockerfile, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_RuntimeStage_ChiseledNonRootEntrypointRun()
    {
        var runtime = Dockerfile[Dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];

        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled", runtime, StringComparison.Ordinal);
        Assert.Contains("USER 65532:65532", runtime, StringComparison.Ordinal);
        Assert.Contains("ENTRYPOINT [\"/app/secret-rotator\"]", runtime, StringComparison.Ordinal);
        Assert.Contains("CMD [\"run\"]", runtime, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_BuildStage_InstallsWhatTheNativeLinkNeeds()
    {
        var build = Dockerfile[..Dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)];
        var aotDeps = File.ReadAllText(Path.Combine(TestData.RepoRoot, "scripts", "install-aot-deps.sh"));

        // The same packages CI installs before its AOT publish; the image build cannot run that script (no sudo).
        Assert.All(new[] { "clang", "zlib1g-dev" }, p =>
        {
            Assert.Contains(p, build, StringComparison.Ordinal);
            Assert.Contains(p, aotDeps, StringComparison.Ordinal);
        });
        // Declared without a value so BuildKit's platform value reaches publish.sh (which falls back to uname -m).
        Assert.Contains("ARG TARGETARCH\n", build, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chart_PodUid_MatchesTheImageUser()
    {
        var rendered = await HelmChart.TemplateAsync("default-values.yaml");

        Assert.All(rendered.PodSpecs(), p => Assert.Equal(65532, p.Spec.Containers.Single().SecurityContext.RunAsUser));
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputAndToolsOut()
    {
        var ignored = File.ReadAllLines(Path.Combine(TestData.RepoRoot, ".dockerignore")).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();

        Assert.Subset(ignored.ToHashSet(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal) { ".git", ".tools", "**/bin", "**/obj" });
        Assert.DoesNotContain("src", ignored);
        Assert.DoesNotContain("scripts", ignored);
    }
}
