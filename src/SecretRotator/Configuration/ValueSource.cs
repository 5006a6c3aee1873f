namespace SecretRotator.Configuration;

/// <summary>Where a config value comes from: never a literal for passwords.</summary>
public abstract record ValueSource
{
    private ValueSource() { }

    public sealed record Literal(string Value) : ValueSource
    {
        // A literal username may be shown; ToString never prints secrets of the other kinds anyway.
        public override string ToString() => "literal";
    }

    public sealed record Env(string Variable) : ValueSource
    {
        public override string ToString() => $"env:{Variable}";
    }

    public sealed record File(string Path) : ValueSource
    {
        public override string ToString() => $"file:{Path}";
    }

    public sealed record SecretKey(string Namespace, string Name, string Key) : ValueSource
    {
        public override string ToString() => $"secret:{Namespace}/{Name}[{Key}]";
    }
}
