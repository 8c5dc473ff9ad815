namespace InferenceServer.LlamaSharp.Tests.Grammar;

public sealed class Utf8GuardTests
{
    [Theory]
    [InlineData("41")]
    [InlineData("C2A9")]
    [InlineData("E282AC")]
    [InlineData("F09F9880")]
    [InlineData("F48FBFBF")]
    [InlineData("EFBFBD")]
    public void Well_formed_characters_are_admitted_byte_by_byte(string hex)
    {
        var guard = new Utf8Guard();
        foreach (byte b in Convert.FromHexString(hex))
        {
            Assert.True(guard.Admits([b]), $"{hex}: {b:X2}");
            guard.Accept([b]);
        }
        Assert.True(guard.AtBoundary);
    }

    [Theory]
    [InlineData("FE")]          // never a UTF-8 byte
    [InlineData("F8818181")]    // five-byte lead
    [InlineData("80")]          // continuation without a lead
    [InlineData("C080")]        // overlong NUL
    [InlineData("C1BF")]        // overlong ASCII
    [InlineData("E08080")]      // overlong three-byte form
    [InlineData("EDA080")]      // surrogate U+D800
    [InlineData("F4908080")]    // past U+10FFFF
    [InlineData("E28241")]      // character cut by ASCII
    public void Ill_formed_sequences_are_refused_at_the_first_bad_byte(string hex)
    {
        var guard = new Utf8Guard();
        var bytes = Convert.FromHexString(hex);
        Assert.False(guard.Admits(bytes));
        int good = 0;
        while (guard.Admits(bytes.AsSpan(good, 1)))
            guard.Accept(bytes.AsSpan(good++, 1));
        Assert.True(good < bytes.Length);
    }
}
