using SecretRotator.CredentialProvider;

namespace SecretRotator.Tests.CredentialProvider;

public sealed class NodeInstallerTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("secret-rotator-install-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string File(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task InstallAsync_IntoHostDirectories_ReplacesBinaryExecutableAndConfigOwnerOnly()
    {
        // Arrange: an older binary already in place, as after a previous release.
        var self = File("secret-rotator", "new-binary");
        var binDir = Path.Combine(_dir.FullName, "host-bin");
        Directory.CreateDirectory(binDir);
        System.IO.File.WriteAllText(Path.Combine(binDir, "secret-rotator"), "old-binary");
        var config = File("config.yaml", "registries: []");
        var configPath = Path.Combine(_dir.FullName, "host-etc", "credential-provider.yaml");

        // Act
        var written = await NodeInstaller.InstallAsync(self, binDir, "secret-rotator", config, configPath, TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal([Path.Combine(binDir, "secret-rotator"), configPath], written);
        Assert.Equal("new-binary", await System.IO.File.ReadAllTextAsync(written[0], TestContext.Current.CancellationToken));
        Assert.True(System.IO.File.GetUnixFileMode(written[0]).HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(configPath));
        Assert.Equal(["secret-rotator"], Directory.GetFiles(binDir).Select(Path.GetFileName)); // no temporary file left behind
    }

    [Fact]
    public async Task InstallAsync_RunByDotnet_RefusesToCopyTheHost()
    {
        // Act
        var e = await Assert.ThrowsAsync<CredentialProviderException>(() =>
            NodeInstaller.InstallAsync("/usr/share/dotnet/dotnet", _dir.FullName, "secret-rotator", null, null, TestContext.Current.CancellationToken));

        // Assert
        Assert.Contains("native executable", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir.FullName));
    }
}
