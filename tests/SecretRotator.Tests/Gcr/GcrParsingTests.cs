using SecretRotator.Configuration;
using SecretRotator.Registries.Gcr;
using SecretRotator.Tests.Acr;
using YamlDotNet.RepresentationModel;

namespace SecretRotator.Tests.Gcr;

public sealed class GcrParsingTests
{
    [Fact]
    public void Parse_ServersOnly_NoFileNoImpersonation()
    {
        var (map, errors) = TestYaml.Map("servers: [gcr.io, us-docker.pkg.dev]");

        var options = GcrRegistryOptions.Parse(map);

        Assert.False(errors.Any);
        Assert.Equal(["gcr.io", "us-docker.pkg.dev"], options.Servers);
        Assert.Null(options.CredentialsFile);
        Assert.Null(options.Impersonate);
        Assert.Null(options.Endpoint);
    }

    [Fact]
    public void Parse_RelativeCredentialsFile_ResolvesAgainstTheConfigFileDirectory()
    {
        var dir = Directory.CreateTempSubdirectory("gcr-config-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "key.json"), "{}");
            var stream = new YamlStream();
            stream.Load(new StringReader("servers: [gcr.io]\ncredentialsFile: key.json"));
            var errors = new ConfigErrors(Path.Combine(dir.FullName, "config.yaml"));

            var options = GcrRegistryOptions.Parse(new ConfigMap((YamlMappingNode)stream.Documents[0].RootNode, "registries[0]", errors));

            Assert.False(errors.Any, string.Join("; ", errors.Items));
            Assert.Equal(Path.Combine(dir.FullName, "key.json"), options.CredentialsFile);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("impersonate: a@b.iam.gserviceaccount.com", "registries[0].servers", "is required")]
    [InlineData("servers: gcr.io", "registries[0].servers", "must be a list")]
    [InlineData("servers: [gcr.io, gcr.io]", "registries[0].servers", "twice")]
    [InlineData("servers: ['https://gcr.io']", "registries[0].servers", "host name")]
    [InlineData("servers: [gcr.io]\ncredentialsFile: /no/such/file.json", "registries[0].credentialsFile", "does not exist")]
    [InlineData("servers: [gcr.io]\nimpersonate: puller", "registries[0].impersonate", "e-mail")]
    public void Parse_InvalidField_ReportsItWithPath(string yaml, string path, string message)
    {
        var (map, errors) = TestYaml.Map(yaml);

        GcrRegistryOptions.Parse(map);

        var error = Assert.Single(errors.Items);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
