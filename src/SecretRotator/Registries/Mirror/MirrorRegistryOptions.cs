using System.Text.RegularExpressions;
using SecretRotator.Configuration;

namespace SecretRotator.Registries.Mirror;

/// <summary>The parsed <c>type: mirror</c> fields: the existing pull secret whose <c>auths</c> entries are copied.</summary>
public sealed partial record MirrorRegistryOptions(string Namespace, string Name) : IRegistryOptions<MirrorRegistryOptions>
{
    public override string ToString() => $"{Namespace}/{Name}";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\\z")]
    private static partial Regex ObjectName();

    public static MirrorRegistryOptions Parse(ConfigMap map)
    {
        // A mirror copies every server of its source; a server here would only mislead.
        if (map.Has("server")) map.Error("server", "a mirror registry copies every server of its source secret; remove server");
        map.Node("server");
        var source = map.GetMap("source", required: true);
        var ns = source?.GetString("namespace", required: true);
        var name = source?.GetString("name", required: true);
        if (ns is not null && !ObjectName().IsMatch(ns)) source!.Error("namespace", "must be a namespace name");
        if (name is not null && !ObjectName().IsMatch(name)) source!.Error("name", "must be a Secret name");
        source?.RejectUnknownKeys();
        return new MirrorRegistryOptions(ns ?? "", name ?? "");
    }
}

public static class MirrorSources
{
    /// <summary>
    /// Every mirror registry's source secret: what a watch (daemon mode) subscribes to so that a change of a
    /// source reaches its copies at once instead of on the next scheduled pass.
    /// </summary>
    public static IEnumerable<(string Registry, MirrorRegistryOptions Source)> Of(RotatorConfig config)
    {
        foreach (var registry in config.Registries)
        {
            if (registry.Options is MirrorRegistryOptions source) yield return (registry.Name, source);
        }
    }
}
