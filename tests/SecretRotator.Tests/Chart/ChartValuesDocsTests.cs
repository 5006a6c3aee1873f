using System.Text.RegularExpressions;

namespace SecretRotator.Tests.Chart;

/// <summary>Every value in values.yaml carries a "# --" comment directly above it.</summary>
public sealed partial class ChartValuesDocsTests
{
    // Values whose default is an example object: the comment sits on the key, its content is the example.
    private static readonly string[] ExampleBlocks = ["config", "podSecurityContext", "securityContext", "resources"];

    [Fact]
    public void ValuesYaml_EveryLeafValue_HasACommentAbove()
    {
        var lines = File.ReadAllLines(Path.Combine(HelmChart.Directory, "values.yaml"));
        var undocumented = new List<string>();
        string? example = null;
        var checkedLeaves = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var m = Key().Match(lines[i]);
            if (!m.Success) continue;
            var (indent, key, value) = (m.Groups[1].Value.Length, m.Groups[2].Value, m.Groups[3].Value.Trim());
            if (indent == 0) example = ExampleBlocks.Contains(key) ? key : null;
            var isParent = value.Length == 0 && i + 1 < lines.Length && Indent(lines[i + 1]) > indent;
            if ((example is not null && indent > 0) || (isParent && example is null)) continue;
            checkedLeaves++;
            var above = i - 1;
            while (above >= 0 && lines[above].TrimStart().StartsWith('#') && !lines[above].TrimStart().StartsWith("# --", StringComparison.Ordinal)) above--;
            if (above < 0 || !lines[above].TrimStart().StartsWith("# --", StringComparison.Ordinal)) undocumented.Add(key);
        }

        Assert.True(checkedLeaves > 40, $"only {checkedLeaves} values found");
        Assert.Empty(undocumented);
    }

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    [GeneratedRegex(@"^(\s*)([A-Za-z][A-Za-z0-9_]*):(.*)$")]
    private static partial Regex Key();
}
