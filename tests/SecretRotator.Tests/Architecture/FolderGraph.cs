using System.Text.RegularExpressions;

namespace SecretRotator.Tests.Architecture;

/// <summary>
/// Which top-level folder of the product uses which, read from the source: a file depends on folder G when it has a
/// <c>using SecretRotator.G…</c> directive (alias and static included) or names <c>SecretRotator.G.X</c> or
/// <c>G.X</c> with X a type of that folder (how a file under namespace SecretRotator reaches another folder without a
/// using; <c>Registries.Count</c>, a property, is not one). Comments are ignored; a using that is not needed still
/// counts, so remove it rather than argue with the test. Files at the root (Program.cs, the composition root) belong
/// to no folder.
/// </summary>
internal sealed partial class FolderGraph(IReadOnlyDictionary<(string From, string To), SortedSet<string>> edges)
{
    [GeneratedRegex(@"^\s*(global\s+)?using\s+(static\s+)?(\w+\s*=\s*)?(global::)?SecretRotator\.(?<folder>\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"(?<![\w.])(global::)?(?<root>SecretRotator\.)?(?<folder>\w+)(\.(?<rest>\w+))+")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^namespace\s+(?<name>[\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"\b(class|struct|interface|enum|record(\s+(class|struct))?|delegate\s+[\w<>\[\],?. ]+?)\s+(?<name>\w+)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    public static FolderGraph Read(string sourceRoot)
    {
        var folders = Directory.GetDirectories(sourceRoot).Select(Path.GetFileName).OfType<string>()
            .Where(d => d is not ("bin" or "obj")).ToHashSet(StringComparer.Ordinal);
        var sources = folders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(sourceRoot, folder), "*.cs", SearchOption.AllDirectories)
            .Select(file => (Folder: folder, File: Path.GetRelativePath(sourceRoot, file).Replace('\\', '/'), Code: Comment().Replace(File.ReadAllText(file), ""))))
            .ToList();
        // Every namespace with the names of the types declared in it, to tell Registries.Static.X (a folder) from Registries.Count.
        var types = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            var ns = FileNamespace().Match(source.Code).Groups["name"].Value;
            if (!types.TryGetValue(ns, out var names)) types[ns] = names = new HashSet<string>(StringComparer.Ordinal);
            names.UnionWith(TypeDeclaration().Matches(source.Code).Select(m => m.Groups["name"].Value));
        }

        var edges = new Dictionary<(string, string), SortedSet<string>>();
        foreach (var (folder, relative, code) in sources)
        {
            var qualified = QualifiedName().Matches(code).Where(m => m.Groups["root"].Success || NamesAType(types, m));
            var used = UsingDirective().Matches(code).Concat(qualified)
                .Select(m => m.Groups["folder"].Value)
                .Where(g => g != folder && folders.Contains(g));
            foreach (var target in used)
            {
                if (!edges.TryGetValue((folder, target), out var files)) edges[(folder, target)] = files = new SortedSet<string>(StringComparer.Ordinal);
                files.Add(relative);
            }
        }
        return new FolderGraph(edges);
    }

    /// <summary>Whether <c>G.A.B…</c> walks down namespaces of folder G to a type declared there.</summary>
    private static bool NamesAType(Dictionary<string, HashSet<string>> types, Match name)
    {
        var ns = "SecretRotator." + name.Groups["folder"].Value;
        foreach (var segment in name.Groups["rest"].Captures.Select(c => c.Value))
        {
            if (types.TryGetValue(ns, out var declared) && declared.Contains(segment)) return true;
            ns += "." + segment;
            if (!types.ContainsKey(ns)) return false;
        }
        return false;
    }

    public IReadOnlyList<(string From, string To)> EdgesFrom(string folder) =>
        [.. edges.Keys.Where(e => e.From == folder).OrderBy(e => e.To, StringComparer.Ordinal)];

    public IReadOnlySet<string> Files(string from, string to) =>
        edges.TryGetValue((from, to), out var files) ? files : new SortedSet<string>();

    /// <summary>One cycle per strongly connected group of folders, each as a closed path (first folder repeated last).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles()
    {
        var cycles = new List<IReadOnlyList<string>>();
        var covered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (from, to) in edges.Keys.OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal))
        {
            if (covered.Contains(from) || PathBetween(to, from) is not { } back) continue;
            List<string> cycle = [from, .. back];
            cycles.Add(cycle);
            covered.UnionWith(cycle);
        }
        return cycles;
    }

    /// <summary>Each edge of a path with the files that make it.</summary>
    public string Describe(IReadOnlyList<string> path)
    {
        var lines = new List<string> { string.Join(" → ", path) };
        for (var i = 0; i + 1 < path.Count; i++)
            lines.Add($"  {path[i]} → {path[i + 1]}: {string.Join(", ", Files(path[i], path[i + 1]))}");
        return string.Join("\n", lines);
    }

    /// <summary>The shortest path from one folder to another (both included), breadth first; null when there is none.</summary>
    private List<string>? PathBetween(string start, string goal)
    {
        var previous = new Dictionary<string, string?>(StringComparer.Ordinal) { [start] = null };
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var at))
        {
            if (at == goal)
            {
                var path = new List<string>();
                for (string? step = goal; step is not null; step = previous[step]) path.Add(step);
                path.Reverse();
                return path;
            }
            foreach (var (_, next) in EdgesFrom(at))
            {
                if (previous.TryAdd(next, at)) queue.Enqueue(next);
            }
        }
        return null;
    }
}
