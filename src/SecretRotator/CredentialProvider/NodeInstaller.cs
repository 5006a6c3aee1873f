using System.Runtime.InteropServices;

namespace SecretRotator.CredentialProvider;

/// <summary>
/// <c>credential-provider install</c>, what the chart's installer DaemonSet runs (the image has no shell to copy with):
/// puts this very executable, and optionally a config file, onto the node through host mounts. Each file is written
/// beside its target and renamed over it, so kubelet never execs or reads a half-written file.
/// </summary>
public static class NodeInstaller
{
    /// <param name="self">This executable (Environment.ProcessPath).</param>
    public static async Task<IReadOnlyList<string>> InstallAsync(string? self, string binDir, string name, string? configSource, string? configPath, CancellationToken cancellationToken)
    {
        if (self is null) throw new CredentialProviderException("cannot tell this executable's path");
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            throw new CredentialProviderException("install copies the native executable; run the published secret-rotator, not `dotnet secret-rotator.dll`");
        var written = new List<string> { await CopyAsync(self, Path.Combine(binDir, name), executable: true, cancellationToken) };
        if (configSource is not null && configPath is not null)
            written.Add(await CopyAsync(configSource, configPath, executable: false, cancellationToken));
        return written;
    }

    private static async Task<string> CopyAsync(string source, string target, bool executable, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(target))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            await using (var from = File.OpenRead(source))
            await using (var to = File.Create(temporary))
            {
                await from.CopyToAsync(to, cancellationToken);
            }
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                File.SetUnixFileMode(temporary, executable
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, target, overwrite: true);
            return target;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new CredentialProviderException($"cannot install {target}: {e.Message}", e);
        }
    }
}
