using System.Diagnostics;
using k8s;
using k8s.Models;
using SecretRotator.Configuration;
using SecretRotator.Kubernetes;
using SecretRotator.Kubernetes.Lists;
using SecretRotator.Registries;
using SecretRotator.Rotation;

namespace SecretRotator.Bench.Scale;

/// <summary>
/// The per-secret steps of a no-change pass, in this process, on N managed secrets shaped like the benchmark's:
/// decode the LIST JSON (managedFields included, as an apiserver sends them) with the library's typed models and with the tool's lean reader, decide what is due, build the desired secret and compare. First pass is
/// cold (includes JIT, as a CronJob run pays it), second is warm (the per-secret cost).
/// </summary>
internal static class HotPath
{
    public static void Run(int secrets)
    {
        var here = new SourceLocation("bench.yaml", 1, 1, "secrets[0]");
        var target = new SecretTarget("regcred", ["ghcr", "hub"], new NamespaceSelection(["team-*"], null, []), ["default"], here);
        var fresh = new Dictionary<string, RegistryCredential>(StringComparer.Ordinal)
        {
            ["ghcr"] = new([new DockerAuthEntry("ghcr.io", "bot", "initial-password")], null),
            ["hub"] = new([new DockerAuthEntry("https://index.docker.io/v1/", "bot", "initial-password")], null),
        };
        var now = DateTimeOffset.UtcNow;
        var list = new V1SecretList
        {
            ApiVersion = "v1",
            Kind = "SecretList",
            Items = [.. Enumerable.Range(0, secrets).Select(i =>
            {
                var s = SecretBuilder.Build(target, $"team-{i:D5}", fresh, null, now).Secret;
                s.Metadata.ResourceVersion = (1000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
                s.Metadata.Uid = Guid.NewGuid().ToString();
                s.Metadata.CreationTimestamp = now.UtcDateTime;
                s.Metadata.ManagedFields = [ManagedFieldsOf(s, now)];
                return s;
            })],
        };
        var json = KubernetesJson.Serialize(list);
        Console.WriteLine($"in-process per-secret steps of a no-change pass, {secrets} managed secrets ({json.Length / 1024 / 1024.0:0.0} MB of LIST JSON), CPU of this process:");
        Console.WriteLine("| step | cold (first pass, with JIT) | warm | warm per secret | warm: GCs gen0 / gen2, pause |");
        Console.WriteLine("|---|---|---|---|---|");
        V1SecretList? decoded = null;
        Step("decode LIST JSON into V1Secret (KubernetesClient)", () => decoded = KubernetesJson.Deserialize<V1SecretList>(json), secrets);
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        Step("decode LIST JSON into V1Secret (LeanListReader, as the tool does)", () => decoded = (V1SecretList)LeanListReader.Read(typeof(V1SecretList), bytes, bytes.Length), secrets);
        var items = decoded!.Items;
        Step("decide due registries (parse + hash stored content, sources annotation)", () =>
        {
            foreach (var s in items) _ = RunPlanner.DueRegistries(target, s, now, TimeSpan.FromHours(1)).Count;
        }, secrets);
        Step("build desired secret + compare (unchanged)", () =>
        {
            foreach (var s in items)
            {
                var desired = SecretBuilder.Build(target, s.Metadata.NamespaceProperty, fresh, s, now);
                if (!SecretBuilder.IsUpToDate(s, desired.Secret)) throw new InvalidOperationException("benchmark secret not up to date");
            }
        }, secrets);
    }

    /// <summary>What an apiserver records for the tool's own write (every listed object carries it).</summary>
    private static V1ManagedFieldsEntry ManagedFieldsOf(V1Secret s, DateTimeOffset now)
    {
        static Dictionary<string, object> Keys(IEnumerable<string> keys) =>
            keys.Select(k => ("f:" + k, (object)new Dictionary<string, object>())).Prepend((".", new Dictionary<string, object>())).ToDictionary();
        return new V1ManagedFieldsEntry
        {
            Manager = "secret-rotator",
            Operation = "Update",
            ApiVersion = "v1",
            Time = now.UtcDateTime,
            FieldsType = "FieldsV1",
            FieldsV1 = new Dictionary<string, object>
            {
                ["f:data"] = Keys(s.Data.Keys),
                ["f:metadata"] = new Dictionary<string, object> { ["f:annotations"] = Keys(s.Metadata.Annotations.Keys), ["f:labels"] = Keys(s.Metadata.Labels.Keys) },
                ["f:type"] = new Dictionary<string, object>(),
            },
        };
    }

    private static void Step(string name, Action action, int count)
    {
        var cold = Cpu(action);
        var (gen0, gen2, paused) = (GC.CollectionCount(0), GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var warm = Cpu(action);
        Console.WriteLine($"| {name} | {cold.TotalMilliseconds:0} ms | {warm.TotalMilliseconds:0} ms | {warm.TotalMicroseconds / count:0.0} us | " +
            $"{GC.CollectionCount(0) - gen0} / {GC.CollectionCount(2) - gen2}, {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:0} ms |");
    }

    private static TimeSpan Cpu(Action action)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        action();
        return Process.GetCurrentProcess().TotalProcessorTime - before;
    }
}
