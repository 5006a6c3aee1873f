using System.Globalization;

namespace SecretRotator.Bench.Scale;

/// <summary>
/// scale [--namespaces N] [--secrets 1|2] [--latency-ms L] [--concurrency C] [--qps Q] [--burst B] [--no-change-runs R]
///       [--peer-namespaces P] [--tool PATH] [--baseline-tool PATH]
/// </summary>
internal sealed record ScaleOptions
{
    public int Namespaces { get; init; } = 1000;
    /// <summary>Managed secrets per namespace: 2 (regcred with two static registries, ecrcred from ECR) or 1 (regcred).</summary>
    public int Secrets { get; init; } = 2;
    public int LatencyMs { get; init; } = 10;
    public int Concurrency { get; init; } = 16;
    /// <summary>settings.qps / settings.burst written into the config; null leaves the tool's defaults.</summary>
    public double? Qps { get; init; }
    public int? Burst { get; init; }
    public int NoChangeRuns { get; init; } = 3;
    /// <summary>Namespaces for the peer-tool comparison (sequential GET+PUT is slow: 6 round trips per namespace).</summary>
    public int PeerNamespaces { get; init; } = 200;
    /// <summary>The binary to exec: an apphost, a published binary or a .dll (run with dotnet).</summary>
    public string? Tool { get; init; }
    /// <summary>Another build to compare: each no-change run of the tool is followed by one of this binary against the same
    /// cluster state, so both see the same machine load (A/B on a shared machine).</summary>
    public string? BaselineTool { get; init; }

    public static ScaleOptions Parse(string[] args)
    {
        var o = new ScaleOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--namespaces" => o with { Namespaces = Int() },
                "--secrets" => o with { Secrets = Int() is var n and (1 or 2) ? n : throw new ArgumentException("--secrets is 1 or 2") },
                "--latency-ms" => o with { LatencyMs = Int() },
                "--concurrency" => o with { Concurrency = Int() },
                "--qps" => o with { Qps = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--burst" => o with { Burst = Int() },
                "--no-change-runs" => o with { NoChangeRuns = Int() },
                "--peer-namespaces" => o with { PeerNamespaces = Int() },
                "--tool" => o with { Tool = Next() },
                "--baseline-tool" => o with { BaselineTool = Next() },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}
