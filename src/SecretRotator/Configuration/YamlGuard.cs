using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SecretRotator.Configuration;

/// <summary>
/// Streams the parser events once before the YAML is loaded into nodes, rejecting what would make the
/// node loader crash or hang: nesting deep enough to overflow the stack (an uncatchable crash), and
/// non-scalar or alias mapping keys (hashing an alias-bomb key takes exponential time). It also reports
/// every duplicate key and undefined alias with its field path, which the node loader cannot give.
/// </summary>
public static class YamlGuard
{
    /// <summary>The real config nests 5 levels; anything near this is an attack or an accident.</summary>
    public const int MaxDepth = 64;

    private sealed class Frame(bool isMapping, string path)
    {
        public bool IsMapping { get; } = isMapping;
        public string Path { get; } = path;
        public bool ExpectKey { get; set; } = true;
        public string? Key { get; set; }
        public int Index { get; set; }
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>
    /// Adds a problem to <paramref name="errors"/> per finding. Returns false when the text cannot be loaded into
    /// nodes at all (a syntax error, which is reported with its position and the field it is in); duplicate keys
    /// alone leave it loadable through <see cref="FirstKeyWins"/>, so they hide no other error.
    /// </summary>
    public static bool Check(string text, ConfigErrors errors)
    {
        if (!CheckCharacters(text, errors)) return false;
        var scanner = new Scanner(new StringReader(text));
        var parser = new Parser(scanner);
        var stack = new Stack<Frame>();
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var loadable = true;
        while (true)
        {
            try
            {
                if (!Next(parser, scanner)) return loadable;
            }
            catch (YamlException ex)
            {
                errors.Add((int)Math.Min(ex.Start.Line, int.MaxValue), (int)Math.Min(ex.Start.Column, int.MaxValue), PathAt(stack), $"invalid YAML: {ex.Message}");
                return false;
            }
            var ev = parser.Current!;
            switch (ev)
            {
                case DocumentStart:
                    stack.Clear();
                    anchors.Clear();
                    continue;
                case MappingEnd or SequenceEnd:
                    stack.Pop();
                    Completed(stack);
                    continue;
                case not (NodeEvent or AnchorAlias):
                    continue;
            }

            if (ev is NodeEvent { Anchor.IsEmpty: false } anchored) anchors.Add(anchored.Anchor.Value);
            var parent = stack.Count > 0 ? stack.Peek() : null;
            if (parent is { IsMapping: true, ExpectKey: true })
            {
                if (ev is not Scalar key)
                {
                    // No useful recovery: the rest of this mapping cannot be read as fields.
                    Add(errors, ev, PathAt(stack), "mapping keys must be plain strings (no lists, mappings or aliases as keys)");
                    return false;
                }
                if (!parent.Keys.Add(key.Value)) Add(errors, ev, Child(parent.Path, key.Value), $"duplicate key '{key.Value}'");
                parent.Key = key.Value;
                parent.ExpectKey = false;
                continue;
            }

            var path = parent is null ? "" : parent.IsMapping ? Child(parent.Path, parent.Key!) : $"{parent.Path}[{parent.Index}]";
            switch (ev)
            {
                case AnchorAlias alias:
                    if (!anchors.Contains(alias.Value.Value))
                    {
                        Add(errors, ev, path, $"alias '*{alias.Value.Value}' refers to no anchor defined before it");
                        loadable = false;
                    }
                    Completed(stack);
                    break;
                case MappingStart or SequenceStart:
                    if (stack.Count >= MaxDepth)
                    {
                        Add(errors, ev, path, $"nested deeper than {MaxDepth} levels");
                        return false;
                    }
                    stack.Push(new Frame(ev is MappingStart, path));
                    break;
                default:
                    Completed(stack);
                    break;
            }
        }
    }

    /// <summary>
    /// Loads text that <see cref="Check"/> passed, keeping the first of duplicate keys (already reported) so the
    /// rest of the file is still validated.
    /// </summary>
    public static YamlDotNet.RepresentationModel.YamlStream Load(string text)
    {
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new FirstKeyWins(new Parser(new StringReader(text))));
        return stream;
    }

    /// <summary>The field being read: the innermost mapping's current key, or the innermost list's current item.</summary>
    private static string PathAt(Stack<Frame> stack)
    {
        if (stack.Count == 0) return "";
        var top = stack.Peek();
        if (!top.IsMapping) return $"{top.Path}[{top.Index}]";
        return top.Key is null ? top.Path : Child(top.Path, top.Key);
    }

    /// <summary>
    /// YAML allows no raw control characters but tab and line breaks, and YamlDotNet takes a NUL for the end of
    /// the stream, silently dropping the rest of the file. Reports the first one; false when there is one.
    /// </summary>
    private static bool CheckCharacters(string text, ConfigErrors errors)
    {
        var (line, column) = (1, 1);
        foreach (var c in text)
        {
            if (c is < ' ' and not ('\t' or '\n' or '\r') or '\u007f')
            {
                errors.Add(line, column, "", $"control character U+{(int)c:X4} is not allowed in YAML");
                return false;
            }
            if (c == '\n') (line, column) = (line + 1, 1);
            else column++;
        }
        return true;
    }

    /// <summary>
    /// YamlDotNet throws some syntax errors without a position (Mark.Empty), and a few as a bare
    /// InvalidOperationException (plain scalars in flow collections); both get the scanner's position here.
    /// </summary>
    private static bool Next(Parser parser, Scanner scanner)
    {
        try
        {
            return parser.MoveNext();
        }
        catch (YamlException ex) when (ex.Start.Equals(Mark.Empty))
        {
            throw new YamlException(scanner.CurrentPosition, scanner.CurrentPosition, ex.Message, ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new YamlException(scanner.CurrentPosition, scanner.CurrentPosition, "malformed plain value inside a [...] or {...} (an unclosed bracket?)", ex);
        }
    }

    /// <summary>A node finished: the parent mapping expects a key next, the parent sequence its next item.</summary>
    private static void Completed(Stack<Frame> stack)
    {
        if (stack.Count == 0) return;
        var parent = stack.Peek();
        if (parent.IsMapping) parent.ExpectKey = true;
        else parent.Index++;
    }

    private static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static void Add(ConfigErrors errors, ParsingEvent ev, string path, string message) =>
        errors.Add((int)Math.Min(ev.Start.Line, int.MaxValue), (int)Math.Min(ev.Start.Column, int.MaxValue), path, message);

    /// <summary>Passes parser events through, dropping the key and value of every repeated key in a mapping.</summary>
    private sealed class FirstKeyWins(IParser inner) : IParser
    {
        private readonly Stack<(bool IsMapping, HashSet<string> Keys)> _stack = new();
        private bool _expectKey;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            while (inner.MoveNext())
            {
                var ev = inner.Current!;
                var inMapping = _stack.Count > 0 && _stack.Peek().IsMapping;
                if (inMapping && _expectKey && ev is Scalar key)
                {
                    if (!_stack.Peek().Keys.Add(key.Value))
                    {
                        SkipNode();
                        continue;
                    }
                    _expectKey = false;
                    return true;
                }
                switch (ev)
                {
                    case MappingStart or SequenceStart:
                        _stack.Push((ev is MappingStart, new HashSet<string>(StringComparer.Ordinal)));
                        _expectKey = ev is MappingStart;
                        break;
                    case MappingEnd or SequenceEnd:
                        _stack.Pop();
                        _expectKey = _stack.Count > 0 && _stack.Peek().IsMapping;
                        break;
                    case Scalar or AnchorAlias:
                        _expectKey = inMapping;
                        break;
                }
                return true;
            }
            return false;
        }

        /// <summary>Consumes one whole node (the value of a dropped key).</summary>
        private void SkipNode()
        {
            if (!inner.MoveNext()) return;
            if (inner.Current is not (MappingStart or SequenceStart)) return;
            for (var depth = 1; depth > 0 && inner.MoveNext();)
            {
                if (inner.Current is MappingStart or SequenceStart) depth++;
                else if (inner.Current is MappingEnd or SequenceEnd) depth--;
            }
        }
    }
}
