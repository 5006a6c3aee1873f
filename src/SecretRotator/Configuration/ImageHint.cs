using YamlDotNet.RepresentationModel;

namespace SecretRotator.Configuration;

/// <summary>One entry of <c>registries[].images</c>: an image users pull with the registry's credential, and where it is written.</summary>
public sealed record ImageHint(ImageReference Image, SourceLocation Location)
{
    /// <summary>The optional images list of a registry entry; each must be an image reference as a pod spec would hold it.</summary>
    internal static IReadOnlyList<ImageHint> ParseList(ConfigMap entry)
    {
        // GetStringList reports items that are not strings; the rest are checked against the reference grammar here.
        var count = entry.GetStringList("images").Count;
        var hints = new List<ImageHint>(count);
        if (entry.Node("images") is not YamlSequenceNode nodes) return hints;
        for (var i = 0; i < nodes.Children.Count; i++)
        {
            if (nodes.Children[i] is not YamlScalarNode { Value: { Length: > 0 } text } node) continue;
            var path = $"{entry.Child("images")}[{i}]";
            if (ImageReference.TryParse(text, out var image, out var error))
                hints.Add(new ImageHint(image, new SourceLocation(entry.Errors.File, (int)node.Start.Line, (int)node.Start.Column, path)));
            else
                entry.ErrorAt(node, path, $"'{text}' {error}");
        }
        return hints;
    }
}
