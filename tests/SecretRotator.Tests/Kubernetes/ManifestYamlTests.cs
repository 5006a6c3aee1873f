using k8s.Models;
using SecretRotator.Kubernetes;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Kubernetes;

/// <summary>Our YAML against kubectl's (sigs.k8s.io/yaml): same bytes, and nothing a YAML 1.1 reader would retype.</summary>
public sealed class ManifestYamlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Annotation values that YAML 1.1 readers take for timestamps, booleans, numbers or null, and strings libyaml quotes.</summary>
    private static readonly string[] TrickyValues =
    [
        "2026-12-01T01:06:16Z", "2026-12-01", "2026-12-01 01:06:16", "2026-13-01", "2026-12-01T01:06:16",
        "yes", "no", "y", "n", "Y", "N", "on", "off", "On", "OFF", "true", "False", "null", "Null", "~", "",
        "123", "-1", "+1", "0", "0777", "089", "0x1F", "0o17", "0b101", "1_000", "1.5e3", "1.", ".5", ".inf", "-.Inf", ".NaN", "1:20", "1.2.3",
        "<<", "=", ".", "sha256:abc", "http://x:1/y", "a: b", "a:b", "#x", "a #b", "a#b", "*x", "&x", "!x", "|x", ">x", "%x", "@x", "`x", "'x'", "\"x\"",
        "- x", "-x", "? x", "?x", ": x", "}x", "[1]", "{\"a\":1}", "a,b", "it's", " lead", "trail ", "a\tb", "ü", "---", "...x", "a\nb", "a\n", "plain-value",
    ];

    [Fact]
    public async Task Serialize_TrickyAnnotationValues_EqualKubectlsYaml()
    {
        // Arrange
        var kubectl = Kubectl.FindOrSkip();
        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = ManagedSecret.SecretType,
            Metadata = new V1ObjectMeta
            {
                Name = "regcred",
                NamespaceProperty = "default",
                Labels = new Dictionary<string, string> { [ManagedSecret.ManagedByLabel] = ManagedSecret.ManagedByValue, ["secret-rotator.io/instance"] = "default" },
                Annotations = TrickyValues.Select((v, i) => (Key: $"test/v{i}", Value: v)).ToDictionary(p => p.Key, p => p.Value),
            },
            Data = new Dictionary<string, byte[]> { [ManagedSecret.DataKey] = "{}"u8.ToArray() },
        };
        var ours = ManifestYaml.Serialize(secret);
        var file = Path.Combine(Path.GetTempPath(), $"secret-rotator-manifest-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, ours, Ct);
        try
        {
            // Act: kubectl reads our YAML and prints it its own way.
            var theirs = await Kubectl.ToYamlAsync(kubectl, file, Ct);

            // Assert: same bytes, so kubectl read back exactly the string we meant.
            Assert.Equal(theirs, ours);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("2026-12-01T01:06:16Z", "\"2026-12-01T01:06:16Z\"")]
    [InlineData("yes", "\"yes\"")]
    [InlineData("off", "\"off\"")]
    [InlineData("0777", "\"0777\"")]
    [InlineData("~", "\"~\"")]
    [InlineData("null", "\"null\"")]
    [InlineData("1:20", "\"1:20\"")]
    [InlineData("{\"a\":1}", "'{\"a\":1}'")]
    [InlineData("sha256:abc", "sha256:abc")]
    [InlineData("ghcr", "ghcr")]
    public void Scalar_Yaml11LookAlikes_AreQuoted(string value, string expected) =>
        Assert.Equal(expected, ManifestYaml.Scalar(value));
}
