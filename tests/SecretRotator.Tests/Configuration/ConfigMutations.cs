using System.Text;
using System.Text.RegularExpressions;

namespace SecretRotator.Tests.Configuration;

/// <summary>A mutated config; <see cref="MustFail"/> when the mutation is certain to make it invalid.</summary>
internal sealed record Mutation(string Name, string Text, bool MustFail)
{
    public override string ToString() => Name;
}

/// <summary>
/// Seeded, reproducible bad input derived from <see cref="TestConfigs.Valid"/>: every truncation, wrong types for
/// each field, duplicate and unknown keys, huge values, deep nesting, alias bombs, unicode, tabs, BOMs and random edits.
/// </summary>
internal static partial class ConfigMutations
{
    [GeneratedRegex(@"^(?<lead>\s*(?:- )?)(?<key>[A-Za-z]+):(?: (?<value>.+))?$")]
    private static partial Regex KeyLine();

    public static List<Mutation> All(int seed, int randomCount)
    {
        var valid = TestConfigs.Valid;
        var result = new List<Mutation>();
        result.AddRange(Truncations(valid));
        result.AddRange(StructuralMutations(valid));
        result.AddRange(HugeAndHostile(valid));
        result.AddRange(Unicode(valid));
        result.AddRange(Random(valid, new Random(seed), randomCount));
        return result;
    }

    /// <summary>Every prefix; only prefixes that keep the registries and a first secret with its names can be valid.</summary>
    public static IEnumerable<Mutation> Truncations(string valid)
    {
        var lastRequired = valid.IndexOf("\"team-*\"]", StringComparison.Ordinal) + "\"team-*\"]".Length;
        for (var cut = 0; cut < valid.Length; cut++)
            yield return new Mutation($"truncate at {cut}", valid[..cut], MustFail: cut < lastRequired);
    }

    public static IEnumerable<Mutation> StructuralMutations(string valid)
    {
        var lines = valid.TrimEnd('\n').Split('\n');
        string Join(IEnumerable<string> ls) => string.Join('\n', ls) + "\n";
        for (var i = 0; i < lines.Length; i++)
        {
            var m = KeyLine().Match(lines[i]);
            if (!m.Success) continue;
            var key = m.Groups["key"].Value;
            var lead = m.Groups["lead"].Value;
            var indent = new string(' ', lead.Length);
            var at = lines[i][..m.Groups["key"].Index];
            var blockEnd = i + 1;
            while (blockEnd < lines.Length && Indent(lines[blockEnd]) > lead.Length) blockEnd++;
            var head = lines.Take(i);
            var tail = lines.Skip(blockEnd);

            if (m.Groups["value"].Success)
            {
                var value = m.Groups["value"].Value;
                var wrong = value[0] switch { '[' => new[] { "x", "{a: b}" }, '{' => ["[x]"], _ => ["[x]", "{a: b}"] };
                foreach (var w in wrong)
                    yield return new($"line {i + 1} {key}: {value} -> {w}", Join([.. head, $"{at}{key}: {w}", .. tail]), MustFail: true);
                yield return new($"line {i + 1} {key}: duplicated", Join([.. lines.Take(i + 1), $"{indent}{key}: {value}", .. lines.Skip(i + 1)]), MustFail: true);
            }
            else
            {
                var isSequence = lines[i + 1].TrimStart().StartsWith("- ", StringComparison.Ordinal);
                foreach (var w in new[] { "x", isSequence ? "{a: b}" : "[x]" })
                    yield return new($"line {i + 1} {key}: block -> {w}", Join([.. head, $"{at}{key}: {w}", .. tail]), MustFail: true);
            }
            // YAML escapes put control characters, lone surrogates and odd spaces into values without raw bytes in the file.
            if (m.Groups["value"].Success && m.Groups["value"].Value[0] is not ('[' or '{'))
            {
                foreach (var escaped in new[] { "\"a\\0b\"", "\"\\x01\"", "\"\\ud800\"", "\"\\N\\L\\P\\_\"", "\"\\t\"", "\"\"" })
                    yield return new($"line {i + 1} {key}: {escaped}", Join([.. head, $"{at}{key}: {escaped}", .. tail]), MustFail: false);
            }
            else if (m.Groups["value"].Success && m.Groups["value"].Value[0] == '{')
            {
                // Inside {env: X} / {file: X}: the same escapes reach environment and file system APIs.
                foreach (var bad in new[] { "\"x\\0y\"", "\"\"", "\" \"", "\"a=b\"", "\"\\t\"" })
                {
                    var inner = Regex.Replace(m.Groups["value"].Value, @"(?<=: )[^,{}]+(?=\})", bad);
                    yield return new($"line {i + 1} {key}: source {bad}", Join([.. head, $"{at}{key}: {inner}", .. tail]), MustFail: true);
                }
            }
            yield return new($"line {i + 1} unknown key beside {key}", Join([.. lines.Take(blockEnd), $"{indent}zzz: 1", .. tail]), MustFail: true);
            yield return new($"line {i + 1} {key} removed", Join([.. head, .. tail]), MustFail: false);
        }
        // Whole sequence items replaced by a scalar or a list.
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (!trimmed.StartsWith("- ", StringComparison.Ordinal)) continue;
            var dash = Indent(lines[i]);
            var end = i + 1;
            while (end < lines.Length && Indent(lines[end]) > dash) end++;
            foreach (var w in new[] { "x", "[x]", "~" })
                yield return new($"item at line {i + 1} -> {w}", Join([.. lines.Take(i), $"{new string(' ', dash)}- {w}", .. lines.Skip(end)]), MustFail: true);
        }
        // Fixed edits of the standard config; skipped for a base config they do not apply to.
        var fixedEdits = new Mutation[]
        {
            new("secrets twice", valid + "secrets: []\n", MustFail: true),
            new("tab indentation", valid.Replace("\n  concurrency", "\n\tconcurrency", StringComparison.Ordinal), MustFail: true),
            new("tab indentation in list", valid.Replace("\n    type: static\n    server: ghcr.io", "\n    type: static\n\t   server: ghcr.io", StringComparison.Ordinal), MustFail: true),
            new("tab after colon", valid.Replace("concurrency: 4", "concurrency:\t4", StringComparison.Ordinal), MustFail: false),
            new("BOM", "\uFEFF" + valid, MustFail: false),
            new("BOM twice", "\uFEFF\uFEFF" + valid, MustFail: false),
            new("BOM inside", valid.Replace("\nsecrets:", "\n\uFEFFsecrets:", StringComparison.Ordinal), MustFail: true),
            new("CRLF", valid.Replace("\n", "\r\n", StringComparison.Ordinal), MustFail: false),
            new("two documents", valid + "---\n" + valid, MustFail: true),
            new("empty", "", MustFail: true),
            new("NUL", valid.Replace("    type: static\n", "    type: static\0\n", StringComparison.Ordinal), MustFail: true),
        };
        foreach (var edit in fixedEdits.Where(e => e.Text != valid)) yield return edit;
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    public static IEnumerable<Mutation> HugeAndHostile(string valid)
    {
        string With(string find, string replacement) => TestConfigs.Replace(valid, find, replacement);
        var mb = new string('a', 1_000_000);
        yield return new("1 MB server", With("server: ghcr.io", $"server: {mb}"), MustFail: true);
        yield return new("1 MB key", valid + mb + ": 1\n", MustFail: true);
        yield return new("1 MB double-quoted escapes", valid + "x: \"" + string.Concat(Enumerable.Repeat("\\u00e9", 170_000)) + "\"\n", MustFail: true);
        yield return new("2 MB comment", valid + "# " + mb + mb + "\n", MustFail: true);
        yield return new("100k registries in a secret", With("registries: [hub]", "registries: [" + string.Join(",", Enumerable.Repeat("hub", 100_000)) + "]"), MustFail: true);
        yield return new("100k bad service accounts", With("serviceAccounts: [default]", "serviceAccounts: [" + string.Join(",", Enumerable.Repeat("X", 100_000)) + "]"), MustFail: true);
        yield return new("100k unknown block items", valid + "extra:\n" + string.Concat(Enumerable.Repeat("- a\n", 100_000)), MustFail: true);
        yield return new("20k duplicate secrets", valid.Replace("settings:", string.Concat(Enumerable.Repeat("  - {name: dup, registries: [hub], namespaces: {names: [a]}}\n", 20_000)) + "settings:", StringComparison.Ordinal), MustFail: true);
        yield return new("20k duplicate registries", valid.Replace("secrets:", string.Concat(Enumerable.Repeat("  - {name: dup, type: static, server: s, username: u, password: {env: SECRET_ROTATOR_TEST_TOKEN}}\n", 20_000)) + "secrets:", StringComparison.Ordinal), MustFail: true);
        foreach (var depth in new[] { 65, 1_000, 100_000 })
        {
            yield return new($"nesting {depth} flow", valid + "x: " + new string('[', depth) + new string(']', depth) + "\n", MustFail: true);
            yield return new($"nesting {depth} block", valid + "x:\n" + string.Concat(Enumerable.Repeat("- ", depth)) + "y\n", MustFail: true);
            yield return new($"nesting {depth} unclosed", valid + "x: " + new string('{', depth) + "\n", MustFail: true);
        }
        var bomb = new StringBuilder("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var c = 'b'; c <= 'j'; c++) bomb.Append($"{c}: &{c} [{string.Join(", ", Enumerable.Repeat($"*{(char)(c - 1)}", 9))}]\n");
        yield return new("alias bomb as values", bomb + valid, MustFail: true);
        yield return new("alias bomb as key", bomb + valid + "? *j\n: 1\n", MustFail: true);
        yield return new("alias bomb in names", bomb.ToString().Replace("a: &a", "x-a: &a", StringComparison.Ordinal) + With("names: [default, \"team-*\"]", "names: *j"), MustFail: true);
        yield return new("alias bomb as selector", bomb + With("selector: \"env in (prod, staging)\"", "selector: *j"), MustFail: true);
        yield return new("self alias", With("names: [default, \"team-*\"]", "names: &s [default, *s]"), MustFail: true);
        yield return new("undefined alias", With("names: [default, \"team-*\"]", "names: *nothing"), MustFail: true);
        yield return new("alias before anchor", With("names: [default, \"team-*\"]", "names: *late") + "late: &late [a]\n", MustFail: true);
        yield return new("merge key", With("  concurrency: 4\n", "  <<: {concurrency: 4}\n"), MustFail: true);
        yield return new("tagged binary", With("server: ghcr.io", "server: !!binary aGVsbG8="), MustFail: false);
        yield return new("custom tag", With("concurrency: 4", "concurrency: !custom 4"), MustFail: false);
        yield return new("directive", "%YAML 1.1\n---\n" + valid, MustFail: false);
        yield return new("bad directive", "%YAML 9.9\n---\n" + valid, MustFail: false);
        yield return new("huge int", With("concurrency: 4", "concurrency: 99999999999999999999999999"), MustFail: true);
        yield return new("huge duration", With("refreshBefore: 1h30m", "refreshBefore: 99999999999999999999d"), MustFail: true);
    }

    public static IEnumerable<Mutation> Unicode(string valid)
    {
        string With(string find, string replacement) => TestConfigs.Replace(valid, find, replacement);
        var samples = new[] { "名前", "é", "\u0663", "\uff11", "ß", "İ", "\u202eabc", "a\u200bb", "😀", "\u2028", "a\u0301" };
        foreach (var s in samples)
        {
            yield return new($"registry name {s}", With("- name: ghcr", $"- name: \"ghcr{s}\""), MustFail: true);
            yield return new($"secret name {s}", With("- name: regcred", $"- name: \"regcred{s}\""), MustFail: true);
            yield return new($"glob {s}", With("\"team-*\"", $"\"team-{s}*\""), MustFail: true);
            yield return new($"selector {s}", With("pull-secrets=enabled", $"pull-secrets=enabled{s}"), MustFail: true);
            yield return new($"service account {s}", With("serviceAccounts: [default]", $"serviceAccounts: [\"default{s}\"]"), MustFail: true);
            yield return new($"duration {s}", With("refreshBefore: 1h30m", $"refreshBefore: \"1h{s}\""), MustFail: true);
            yield return new($"concurrency {s}", With("concurrency: 4", $"concurrency: \"4{s}\""), MustFail: true);
            yield return new($"key {s}", With("  verify: true", $"  \"verify{s}\": true"), MustFail: true);
            yield return new($"server {s}", With("server: ghcr.io", $"server: \"ghcr.io{s}\""), MustFail: false);
        }
    }

    /// <summary>Random character edits, line swaps and duplications: any outcome but a crash is fine.</summary>
    public static IEnumerable<Mutation> Random(string valid, Random random, int count)
    {
        const string alphabet = ":-[]{},&*!|>'\"%@`#?~ \t\n\r\uFEFF\u2028\u0085\0\u0001aZ9é😀\\";
        for (var n = 0; n < count; n++)
        {
            var text = new StringBuilder(valid);
            var edits = 1 + random.Next(4);
            for (var e = 0; e < edits; e++)
            {
                var at = random.Next(text.Length + 1);
                switch (random.Next(5))
                {
                    case 0 when at < text.Length: text.Remove(at, 1); break;
                    case 1: text.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                    case 2 when at < text.Length: text[at] = alphabet[random.Next(alphabet.Length)]; break;
                    case 3:
                        var lines = text.ToString().Split('\n').ToList();
                        var i = random.Next(lines.Count);
                        var j = random.Next(lines.Count);
                        (lines[i], lines[j]) = (lines[j], lines[i]);
                        text = new StringBuilder(string.Join('\n', lines));
                        break;
                    default:
                        var all = text.ToString().Split('\n').ToList();
                        var k = random.Next(all.Count);
                        all.Insert(random.Next(all.Count + 1), all[k]);
                        text = new StringBuilder(string.Join('\n', all));
                        break;
                }
            }
            yield return new($"random #{n}", text.ToString(), MustFail: false);
        }
    }
}
