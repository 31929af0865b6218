package io.finchstream.engine.io.torch;

import io.finchstream.engine.io.DType;
import java.io.IOException;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Interprets a torch.save {@code data.pkl} (protocol 2+) into plain Java values: dicts become
 * insertion-ordered {@link LinkedHashMap}s, tensors become {@link TensorRef}s. Only the globals a
 * state_dict of tensors needs are accepted (finch-math §3.3); anything else fails with {@link
 * UnsupportedGlobal} before it could matter. Nothing from the file is executed.
 */
final class TorchPickle extends Unpickler {

  /** A storage the pickle points at through a persistent id. */
  record StorageRef(String key, StorageType type, String location, long numel) {}

  /** A {@code torch._utils._rebuild_tensor_v2} call: a strided view of a storage. */
  @SuppressWarnings("ArrayRecordComponent") // a parsed pickle call; never compared or hashed
  record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

  /** {@code torch.XxxStorage}: the element type of a storage; {@code dtype} null if unsupported. */
  record StorageType(String name, DType dtype) {}

  /** A global outside the whitelist. */
  static final class UnsupportedGlobal extends PickleException {
    private static final long serialVersionUID = 1L;

    UnsupportedGlobal(final String global) {
      super(global);
    }
  }

  /** An {@code OrderedDict}; BUILD may attach {@code _metadata}, which is ignored. */
  static final class OrderedDict extends LinkedHashMap<Object, Object> {
    private static final long serialVersionUID = 1L;
  }

  private TorchPickle() {}

  /** Unpickles {@code data.pkl}. */
  static Object load(final byte[] pickle) throws IOException {
    final TorchPickle p = new TorchPickle();
    try {
      return p.loads(pickle);
    } finally {
      p.close();
    }
  }

  @Override
  protected Object dispatch(final short key) throws IOException {
    switch (key) {
      case Opcodes.GLOBAL -> {
        final String module = PickleUtils.readline(input);
        final String name = PickleUtils.readline(input);
        stack.add(global(module, name));
      }
      case Opcodes.STACK_GLOBAL -> {
        final Object name = stack.pop();
        final Object module = stack.pop();
        stack.add(global(String.valueOf(module), String.valueOf(name)));
      }
      case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<>());
      case Opcodes.DICT -> stack.add(pairs(stack.pop_all_since_marker(), new LinkedHashMap<>()));
      case Opcodes.SETITEMS -> {
        final List<Object> items = stack.pop_all_since_marker();
        pairs(items, map(stack.peek()));
      }
      case Opcodes.BUILD -> {
        stack.pop(); // the state: only an OrderedDict's _metadata can occur here
        if (!(stack.peek() instanceof OrderedDict)) {
          throw new PickleException("BUILD on " + describe(stack.peek()) + ", not on a state_dict");
        }
      }
      case Opcodes.INST, Opcodes.OBJ, Opcodes.PERSID ->
          throw new PickleException(
              "protocol-0 opcode " + key + " does not occur in torch.save files");
      default -> {
        return super.dispatch(key);
      }
    }
    return NO_RETURN_VALUE;
  }

  @Override
  protected Object persistentLoad(final Object pid) {
    // ('storage', torch.XxxStorage, key, location, numel)
    if (!(pid instanceof Object[] t)
        || t.length != 5
        || !"storage".equals(t[0])
        || !(t[1] instanceof StorageType type)
        || !(t[2] instanceof String key)
        || !(t[4] instanceof Number numel)) {
      throw new PickleException("unexpected persistent id " + describe(pid));
    }
    return new StorageRef(key, type, String.valueOf(t[3]), numel.longValue());
  }

  private static Object global(final String module, final String name) {
    final String global = module + "." + name;
    return switch (global) {
      case "collections.OrderedDict" -> (IObjectConstructor) args -> new OrderedDict();
      case "torch._utils._rebuild_tensor_v2" -> (IObjectConstructor) TorchPickle::rebuildTensor;
      case "torch._utils._rebuild_parameter" -> (IObjectConstructor) args -> args[0];
      case "torch.BFloat16Storage" -> new StorageType(name, DType.BF16);
      case "torch.HalfStorage" -> new StorageType(name, DType.F16);
      case "torch.FloatStorage" -> new StorageType(name, DType.F32);
      default -> {
        if (module.equals("torch") && name.endsWith("Storage")) {
          yield new StorageType(name, null); // rejected, with the tensor's name, after loading
        }
        throw new UnsupportedGlobal(global);
      }
    };
  }

  /**
   * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[,
   * meta])}.
   */
  private static Object rebuildTensor(final Object[] args) {
    if (args.length < 4
        || !(args[0] instanceof StorageRef storage)
        || !(args[1] instanceof Number offset)) {
      throw new PickleException("_rebuild_tensor_v2 with unexpected arguments");
    }
    return new TensorRef(storage, offset.longValue(), longs(args[2]), longs(args[3]));
  }

  private static long[] longs(final Object tuple) {
    if (!(tuple instanceof Object[] t)) {
      throw new PickleException("expected a tuple of ints, got " + describe(tuple));
    }
    final long[] out = new long[t.length];
    for (int i = 0; i < t.length; i++) {
      if (!(t[i] instanceof Number n)) {
        throw new PickleException("expected a tuple of ints, got " + describe(tuple));
      }
      out[i] = n.longValue();
    }
    return out;
  }

  @SuppressWarnings("unchecked") // the unpickler builds dicts as HashMap<Object, Object>
  private static Map<Object, Object> map(final Object o) {
    if (!(o instanceof Map)) {
      throw new PickleException("SETITEMS on " + describe(o));
    }
    return (Map<Object, Object>) o;
  }

  private static Map<Object, Object> pairs(
      final List<Object> items, final Map<Object, Object> into) {
    for (int i = 0; i + 1 < items.size(); i += 2) {
      into.put(items.get(i), items.get(i + 1));
    }
    return into;
  }

  /** The Python type name of an unpickled value, for messages. */
  static String describe(final Object o) {
    if (o == null) {
      return "None";
    }
    if (o instanceof OrderedDict) {
      return "OrderedDict";
    }
    if (o instanceof Map) {
      return "dict";
    }
    if (o instanceof List) {
      return "list";
    }
    if (o instanceof Object[]) {
      return "tuple";
    }
    if (o instanceof String) {
      return "str";
    }
    if (o instanceof Integer || o instanceof Long || o instanceof BigInteger) {
      return "int";
    }
    if (o instanceof Double) {
      return "float";
    }
    if (o instanceof Boolean) {
      return "bool";
    }
    return o.getClass().getSimpleName();
  }
}
