using System.Text.RegularExpressions;
using Quartz;

namespace SecretRotator.Configuration;

/// <summary>
/// A registry's optional <c>schedule</c>: a Quartz cron expression (6-7 fields, seconds first) or a standard 5-field
/// crontab line, which is translated (seconds 0; day-of-week 0-7 with Sunday 0 or 7 becomes Quartz's 1-7; the unused
/// day field becomes '?'). Evaluated in UTC.
/// </summary>
public static partial class CronSchedule
{
    [GeneratedRegex("(?<![/#0-9])[0-7](?![0-9])")]
    private static partial Regex DayOfWeekDigit();

    /// <summary>The Quartz expression, or an error message saying what is wrong.</summary>
    public static (CronExpression? Expression, string? Error) Parse(string text)
    {
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string quartz;
        if (fields.Length == 5)
        {
            var (dom, dow) = (fields[2], fields[4]);
            if (dom != "*" && dom != "?" && dow != "*" && dow != "?")
                return (null, "a 5-field schedule cannot restrict both day-of-month and day-of-week (Quartz cannot express 'either')");
            dow = dow == "*" ? "?" : DayOfWeekDigit().Replace(dow, m => m.Value == "7" || m.Value == "0" ? "1" : ((char)(m.Value[0] + 1)).ToString());
            if (dow != "?" && dom == "*") dom = "?";
            quartz = $"0 {fields[0]} {fields[1]} {dom} {fields[3]} {dow}";
        }
        else if (fields.Length is 6 or 7)
        {
            quartz = string.Join(' ', fields);
        }
        else
        {
            return (null, $"expected a cron expression with 5 fields (minute hour day month weekday) or 6-7 Quartz fields (seconds first), got {fields.Length}");
        }
        try
        {
            var expression = new CronExpression(quartz, TimeZoneInfo.Utc);
            return expression.GetNextValidTimeAfter(DateTimeOffset.UnixEpoch) is null && expression.GetNextValidTimeAfter(DateTimeOffset.UtcNow) is null
                ? (null, "the expression never fires")
                : (expression, null);
        }
        catch (FormatException e)
        {
            return (null, $"invalid cron expression: {e.Message}");
        }
    }
}
