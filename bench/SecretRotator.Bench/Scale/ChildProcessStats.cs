using System.Globalization;
using System.Runtime.InteropServices;

namespace SecretRotator.Bench.Scale;

/// <summary>
/// CPU and memory of a child process, read from the kernel rather than from wall time (the machine is shared):
/// user+sys of reaped children via getrusage(RUSAGE_CHILDREN), running samples from /proc/PID/stat and status.
/// </summary>
internal static partial class ChildProcessStats
{
    private const int RusageChildren = -1;
    private static readonly double TicksPerSecond = 100; // USER_HZ is 100 on every Linux the tool supports

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UtimeSec, UtimeUsec, StimeSec, StimeUsec;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVCsw, NIvCsw;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out Rusage usage);

    /// <summary>user+sys CPU of every child this process has reaped so far.</summary>
    public static TimeSpan ReapedChildrenCpu()
    {
        if (getrusage(RusageChildren, out var u) != 0) return TimeSpan.Zero;
        return TimeSpan.FromMicroseconds((u.UtimeSec + u.StimeSec) * 1_000_000.0 + u.UtimeUsec + u.StimeUsec);
    }

    /// <summary>user+sys CPU of a running process so far (10 ms resolution); null once it is gone.</summary>
    public static TimeSpan? Cpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Peak resident set (VmHWM) of a running process in bytes; null once it is gone.</summary>
    public static long? PeakRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>The machine's 1-minute load average, to print beside the figures.</summary>
    /// <summary>Resident memory now (VmRSS), in MiB.</summary>
    public static long Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
