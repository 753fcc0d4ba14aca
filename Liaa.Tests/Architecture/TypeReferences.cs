using System.Reflection;
using System.Reflection.Emit;

namespace Liaa.Tests.Architecture;

/// <summary>
/// Every type a compiled type refers to: its base type and interfaces, the types in its fields' and
/// methods' signatures, and every type, method and field its method bodies name (read from the IL,
/// so a call such as <c>DateTime.UtcNow</c> or <c>new Socket(...)</c> counts even when no signature
/// shows it). Compiler-made types (lambdas, async state machines) are nested in their type and so
/// count for its namespace. Attributes are not read.
/// </summary>
internal static class TypeReferences
{
    private const BindingFlags Declared =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly OpCode[] OneByte = new OpCode[256];
    private static readonly OpCode[] TwoByte = new OpCode[256];

    static TypeReferences()
    {
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var code = (OpCode)field.GetValue(null)!;
            var value = (ushort)code.Value;
            if (value < 0x100)
            {
                OneByte[value] = code;
            }
            else if ((value & 0xff00) == 0xfe00)
            {
                TwoByte[value & 0xff] = code;
            }
        }
    }

    /// <summary>A reference: from a type, to a type, through a member (null when through a signature or base type).</summary>
    public readonly record struct Reference(Type From, Type To, string? Member)
    {
        public override string ToString() => $"{From.FullName} -> {To.FullName}{(Member is null ? string.Empty : "." + Member)}";
    }

    public static IEnumerable<Reference> Of(Type type)
    {
        var found = new HashSet<Reference>();
        void Add(Type? to, string? member = null)
        {
            foreach (var each in Expand(to))
            {
                found.Add(new Reference(type, each, member));
            }
        }

        Add(type.BaseType);
        foreach (var contract in type.GetInterfaces())
        {
            Add(contract);
        }

        foreach (var field in type.GetFields(Declared))
        {
            Add(field.FieldType);
        }

        foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
        {
            if (method is MethodInfo info)
            {
                Add(info.ReturnType);
            }

            foreach (var parameter in method.GetParameters())
            {
                Add(parameter.ParameterType);
            }

            foreach (var member in BodyReferences(method))
            {
                switch (member)
                {
                    case Type named:
                        Add(named);
                        break;
                    case FieldInfo field:
                        Add(field.DeclaringType, field.Name);
                        Add(field.FieldType);
                        break;
                    case MethodBase called:
                        Add(called.DeclaringType, called.Name);
                        if (called is MethodInfo calledInfo)
                        {
                            Add(calledInfo.ReturnType);
                            foreach (var argument in calledInfo.IsGenericMethod ? calledInfo.GetGenericArguments() : [])
                            {
                                Add(argument);
                            }
                        }

                        foreach (var parameter in called.GetParameters())
                        {
                            Add(parameter.ParameterType);
                        }

                        break;
                }
            }
        }

        return found;
    }

    // A type and what it is made of: element types (arrays, pointers, by-ref) and generic arguments.
    private static IEnumerable<Type> Expand(Type? type)
    {
        if (type is null || type.IsGenericParameter)
        {
            yield break;
        }

        if (type.HasElementType)
        {
            foreach (var element in Expand(type.GetElementType()))
            {
                yield return element;
            }

            yield break;
        }

        if (type.IsConstructedGenericType)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (var argument in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return argument;
            }

            yield break;
        }

        yield return type;
    }

    // The members named by the tokens of a method body's IL.
    private static IEnumerable<MemberInfo> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var position = 0;
        while (position < il.Length)
        {
            var code = il[position] == 0xfe ? TwoByte[il[++position]] : OneByte[il[position]];
            position++;
            switch (code.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    var token = BitConverter.ToInt32(il, position);
                    MemberInfo? member;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                        member = null;
                    }

                    if (member is not null)
                    {
                        yield return member;
                    }

                    position += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    position += 1;
                    break;
                case OperandType.InlineVar:
                    position += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    position += 8;
                    break;
                case OperandType.InlineSwitch:
                    position += 4 + (4 * BitConverter.ToInt32(il, position));
                    break;
                default:
                    position += 4;
                    break;
            }
        }
    }
}
