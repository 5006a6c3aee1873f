using System.Text;
using SecretRotator.Kubernetes;
using SecretRotator.Rotation;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Rotation;

/// <summary>
/// Issue 22.5: the content memos hold credential bytes, so they live one pass. Other tests run passes in parallel and
/// forget too; that can only make these pass sooner, never make a memo look forgotten when a pass left it in place.
/// </summary>
public sealed class ContentMemosTests
{
    private static byte[] StoredContent(string password) =>
        Encoding.UTF8.GetBytes("{\"auths\":{\"registry.example.com\":{\"username\":\"robot\",\"password\":\"" + password + "\",\"auth\":\"x\"}}}");

    [Fact]
    public void Forget_RememberedStoredContent_IsWorkedOutAfresh()
    {
        // Arrange
        var data = StoredContent("memo-" + Guid.NewGuid().ToString("N"));
        var before = StoredSecretFacts.Of(data);

        // Act
        ContentMemos.Forget();
        var after = StoredSecretFacts.Of(data);

        // Assert
        Assert.NotSame(before, after);
        Assert.Equal(before.Hash, after.Hash);
    }

    [Fact]
    public async Task RunAsync_PassEnds_ForgetsWhatItRemembered()
    {
        // Arrange
        await using var h = await RotatorHarness.StartAsync("default");
        var config = h.WriteTwoRegistryConfig();
        Assert.Equal(0, (await h.RunCliAsync("run", "--config", config)).ExitCode);
        var stored = h.Secret("default", "regcred").Data[ManagedSecret.DataKey];
        var remembered = StoredSecretFacts.Of(stored);

        // Act: the second pass reads the same stored content (through the memo), then ends.
        var second = await h.RunCliAsync("run", "--config", config);

        // Assert
        Assert.Equal(0, second.ExitCode);
        Assert.NotSame(remembered, StoredSecretFacts.Of(stored));
    }
}
