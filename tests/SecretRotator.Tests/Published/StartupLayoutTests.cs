using System.Buffers.Binary;
using System.Text;
using SecretRotator.Tests.TestSupport;

namespace SecretRotator.Tests.Published;

/// <summary>
/// The shipped binary's start-up rests on two link settings in the csproj (IlcDehydrate=false,
/// PositionIndependentExecutable=false): the type data is stored expanded and needs no relocation at load, so an exec
/// maps it from the page cache instead of expanding 30 MiB on every start (docs/performance.md, credential-provider).
/// A timing test would be flaky; the file's layout is not. Reads the ELF headers of SECRET_ROTATOR_BINARY.
/// </summary>
public sealed class StartupLayoutTests
{
    private const ushort ElfExecutable = 2; // ET_EXEC; a position-independent executable is ET_DYN (3)

    [Fact]
    public void ShippedBinary_ElfType_IsPositionDependentExecutable()
    {
        // Arrange
        var elf = ShippedElf();

        // Act
        var type = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(16));

        // Assert
        Assert.Equal(ElfExecutable, type);
    }

    [Fact]
    public void ShippedBinary_Sections_HaveNoDehydratedTypeData()
    {
        // Arrange
        var elf = ShippedElf();

        // Act
        var sections = SectionNames(elf);

        // Assert: the runtime expands dehydrated type data into ".hydrated" on every start.
        Assert.Contains(".data", sections);
        Assert.DoesNotContain(".hydrated", sections);
    }

    private static byte[] ShippedElf()
    {
        var binary = RotatorProcess.Binary;
        if (binary is null)
        {
            const string why = RotatorProcess.BinaryVariable + " is not set: the layout is the AOT binary's (AOT=1 scripts/publish.sh)";
            if (RequiredTool.IsCi) Assert.Fail(why + " (CI=true: required, not skipped)");
            Assert.Skip(why);
            return []; // not reached: Assert.Skip throws
        }
        var elf = File.ReadAllBytes(binary);
        Assert.True(elf.AsSpan(0, 4).SequenceEqual("\u007fELF"u8), $"{binary} is not an ELF file");
        Assert.Equal(2, elf[4]); // ELFCLASS64
        Assert.Equal(1, elf[5]); // little-endian
        return elf;
    }

    /// <summary>Section names from the ELF64 section header table and its string table (e_shstrndx).</summary>
    private static List<string> SectionNames(byte[] elf)
    {
        var headers = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(0x28));
        int size = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3A));
        int count = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3C));
        int names = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(0x3E));
        var table = (int)BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(headers + names * size + 0x18));
        var result = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var start = table + (int)BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(headers + i * size));
            var end = Array.IndexOf(elf, (byte)0, start);
            result.Add(Encoding.ASCII.GetString(elf, start, end - start));
        }
        return result;
    }
}
