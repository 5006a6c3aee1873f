using System.Collections.Concurrent;

namespace SecretRotator.Tests.Fakes.Ecr;

/// <summary>A known AWS key pair (and session token) the fakes can verify signatures with.</summary>
public sealed record AwsTestKey(string AccessKeyId, string SecretAccessKey, string? SessionToken);

/// <summary>The keys the fake AWS services accept: given ones, plus those the fake STS issues.</summary>
public sealed class AwsTestKeys
{
    private readonly ConcurrentDictionary<string, AwsTestKey> _keys = new(StringComparer.Ordinal);

    public static AwsTestKey Base { get; } = new("AKIDTESTBASE00000001", "test/secret/base+key/0000000000000000000", null);

    public AwsTestKeys() => Add(Base);

    public void Add(AwsTestKey key) => _keys[key.AccessKeyId] = key;

    public AwsTestKey? Find(string accessKeyId) => _keys.TryGetValue(accessKeyId, out var key) ? key : null;

    public AwsTestKey Issue(string prefix)
    {
        var id = $"ASIA{prefix}{Guid.NewGuid():N}"[..20].ToUpperInvariant();
        var key = new AwsTestKey(id, Convert.ToBase64String(Guid.NewGuid().ToByteArray()) + "secret", "session-token-" + Guid.NewGuid().ToString("N"));
        Add(key);
        return key;
    }
}
