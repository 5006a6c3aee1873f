using Microsoft.Extensions.DependencyInjection;
using SecretRotator.Configuration;
using SecretRotator.Registries.Mirror;

namespace SecretRotator.Tests.Mirror;

public sealed class MirrorConfigTests
{
    private static ConfigLoader Loader() =>
        new ServiceCollection().AddSecretRotator().BuildServiceProvider().GetRequiredService<ConfigLoader>();

    private static string Yaml(string registry) => $$"""
        registries:
          - name: copied
            type: mirror
        {{registry}}
        secrets:
          - name: regcred
            registries: [copied]
            namespaces: {names: [default]}
        """;

    [Fact]
    public void Parse_MirrorSource_IsDiscoverableForAWatch()
    {
        var config = Loader().Parse(Yaml("    source: {namespace: shared, name: pull}"), "c.yaml");

        var (registry, source) = Assert.Single(MirrorSources.Of(config));

        Assert.Equal(("copied", "shared", "pull"), (registry, source.Namespace, source.Name));
    }

    [Theory]
    [InlineData("    source: {namespace: shared}", "c.yaml:4:13: registries[0].source.name: is required")]
    [InlineData("    server: quay.io\n    source: {namespace: shared, name: pull}", "c.yaml:4:13: registries[0].server: a mirror registry copies every server of its source secret; remove server")]
    [InlineData("    source: {namespace: Shared, name: pull, key: x}", "registries[0].source.key: unknown field")]
    [InlineData("", "registries[0].source: is required")]
    public void Parse_BadMirror_ReportsFileLineAndField(string registry, string error)
    {
        var e = Assert.Throws<ConfigException>(() => Loader().Parse(Yaml(registry), "c.yaml"));

        Assert.Contains(e.Errors, x => x.ToString().Contains(error, StringComparison.Ordinal));
    }
}
