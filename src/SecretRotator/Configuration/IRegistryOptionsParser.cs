namespace SecretRotator.Configuration;

/// <summary>
/// Reads the fields of one registry type in a <c>registries[]</c> entry. Every registry provider is one; the loader
/// needs only this, so Configuration names no provider (Registries/ depends on Configuration, not the reverse).
/// </summary>
public interface IRegistryOptionsParser
{
    /// <summary>The <c>type:</c> value in the config.</summary>
    string Type { get; }

    /// <summary>
    /// Reads the type-specific fields of one registry entry (name and type are already consumed).
    /// Report problems through <paramref name="map"/>; unknown keys are rejected by the caller afterwards.
    /// Returns the options record later handed back in <see cref="RegistryDefinition.Options"/>.
    /// </summary>
    object ParseOptions(ConfigMap map);
}

/// <summary>A registry type's options record, which parses and validates its own fields (the checks live next to them).</summary>
public interface IRegistryOptions<TSelf> where TSelf : IRegistryOptions<TSelf>
{
    /// <summary>Reads the fields as <see cref="IRegistryOptionsParser.ParseOptions"/> does, reporting problems through <paramref name="map"/>.</summary>
    static abstract TSelf Parse(ConfigMap map);
}
