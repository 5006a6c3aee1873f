using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Architecture;

/// <summary>
/// The top-level folders of src/SecretRotator depend one way (README.md, "Layout"): a cycle between two folders
/// means neither can be read, tested or changed without the other. These tests read the source, so the failure
/// names the files that make the edge.
/// </summary>
public sealed class FolderDependencyTests
{
    private static readonly FolderGraph Graph = FolderGraph.Read(Path.Combine(TestData.RepoRoot, "src", "SecretRotator"));

    [Fact]
    public void Folders_OfTheProduct_FormNoCycle()
    {
        var cycles = Graph.Cycles();

        Assert.True(cycles.Count == 0, "folder dependency cycles (break them: move the shared type down, or let the lower folder own an interface):\n"
            + string.Join("\n", cycles.Select(Graph.Describe)));
    }

    [Fact]
    public void Configuration_ReadsNoOtherFolder()
    {
        var edges = Graph.EdgesFrom("Configuration");

        Assert.True(edges.Count == 0, "Configuration (what the user wrote) must read nothing of ours:\n"
            + string.Join("\n", edges.Select(e => Graph.Describe([e.From, e.To]))));
    }

    [Fact]
    public void Rotation_NeverNamesTelemetry()
    {
        // Telemetry implements Rotation's IRunObserver; the reverse edge would be legal for the cycle test alone.
        Assert.DoesNotContain(Graph.EdgesFrom("Rotation"), e => e.To == "Telemetry");
    }

    [Fact]
    public void Cycles_OfAHandMadeGraph_AreFoundWithTheirFiles()
    {
        // Arrange: the reader's cycle search on a known graph, so a passing product test means "no cycle", not "no search".
        var graph = new FolderGraph(new Dictionary<(string, string), SortedSet<string>>
        {
            [("A", "B")] = ["A/One.cs"],
            [("B", "C")] = ["B/Two.cs"],
            [("C", "A")] = ["C/Three.cs"],
            [("C", "D")] = ["C/Four.cs"],
        });

        // Act
        var cycles = graph.Cycles();

        // Assert
        var cycle = Assert.Single(cycles);
        Assert.Equal(new[] { "A", "B", "C", "A" }, cycle);
        Assert.Contains("C → A: C/Three.cs", graph.Describe(cycle), StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ProductSource_SeesUsingsAndQualifiedNames()
    {
        // Known edges of each kind: a using directive (Cli → Rotation) and a qualified name without a using
        // (Kubernetes/ClusterProbe.cs writes Configuration.Duration).
        Assert.Contains(Graph.EdgesFrom("Cli"), e => e.To == "Rotation");
        Assert.Contains("Kubernetes/ClusterProbe.cs", Graph.Files("Kubernetes", "Configuration"));
    }
}
