using System.Reflection;
using System.Reflection.Emit;

namespace FedMesh.Node.Tests.Learning;

/// <summary>
/// The methods a compiled method calls, read from its IL (call, callvirt, newobj, ldftn, ldvirtftn): lets a test
/// state a rule about every call site of an assembly, including lambdas, local functions and iterators.
/// </summary>
internal static class IlCalls
{
    private static readonly Dictionary<short, OpCode> Codes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(c => c.Value);

    private const BindingFlags Declared = BindingFlags.DeclaredOnly | BindingFlags.Public | BindingFlags.NonPublic
        | BindingFlags.Instance | BindingFlags.Static;

    /// <summary>Every method and constructor declared in <paramref name="assembly"/> (nested and generated types too).</summary>
    public static IEnumerable<MethodBase> Methods(Assembly assembly) =>
        assembly.GetTypes().SelectMany(t => t.GetMethods(Declared).Cast<MethodBase>().Concat(t.GetConstructors(Declared)));

    /// <summary>The methods <paramref name="method"/>'s body calls or takes the address of (none for abstract or extern).</summary>
    public static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        if (method is MethodInfo { IsGenericMethod: true, IsGenericMethodDefinition: false } constructed)
        {
            method = constructed.GetGenericMethodDefinition();
        }

        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int at = 0;
        while (at < il.Length)
        {
            short value = il[at] == 0xFE ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += il[at] == 0xFE ? 2 : 1;
            OpCode code = Codes[value];
            if (code.OperandType == OperandType.InlineMethod)
            {
                int token = BitConverter.ToInt32(il, at);
                yield return method.Module.ResolveMethod(token, typeArguments, methodArguments)!;
            }

            at += OperandSize(code, il, at);
        }
    }

    private static int OperandSize(OpCode code, byte[] il, int at) => code.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, at)),
        _ => 4,
    };
}
