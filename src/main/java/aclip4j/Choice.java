package aclip4j;

import com.google.gson.Gson;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * An option with a fixed set of values (a §5.4 selection strategy, the §6 SSL loss, …), as an enum whose constants
 * each have one spelling, {@link #id()}: the word on the command line, in {@code config.json} and in golden
 * parameters. Parsing and the error for a word that is none of them live here, once.
 */
public interface Choice {
    /**
     * The spelling of this value on the command line and in files: by default the constant's name in lower case
     * with '-' for '_'; an enum whose words differ from its constants' names overrides it.
     */
    default String id() {
        return idOf((Enum<?>) this);
    }

    /**
     * The constant of {@code type} spelled {@code word} (any case, surrounding spaces ignored); otherwise an
     * IllegalArgumentException "{@code what} is 'word', expected a, b or c".
     */
    static <E extends Enum<E> & Choice> E parse(Class<E> type, String word, String what) {
        String w = word == null ? "" : word.trim().toLowerCase(Locale.ROOT);
        for (E e : type.getEnumConstants()) {
            if (e.id().equals(w)) {
                return e;
            }
        }
        throw new IllegalArgumentException(what + " is '" + word + "', expected " + spellings(type));
    }

    /** "a, b or c": every spelling of {@code type}, in declaration order. */
    static <E extends Enum<E> & Choice> String spellings(Class<E> type) {
        String[] ids = Arrays.stream(type.getEnumConstants()).map(Choice::id).toArray(String[]::new);
        if (ids.length == 1) {
            return ids[0];
        }
        return Arrays.stream(ids, 0, ids.length - 1).collect(Collectors.joining(", ")) + " or " + ids[ids.length - 1];
    }

    /** The enum's lower-case constant name with '_' as '-', for enums whose constants are named as spelled. */
    static String idOf(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Gson writes every Choice as its {@link #id()} and reads it back through {@link #parse}. */
    TypeAdapterFactory GSON = new TypeAdapterFactory() {
        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public <T> TypeAdapter<T> create(Gson gson, TypeToken<T> token) {
            Class<? super T> raw = token.getRawType();
            if (!raw.isEnum() || !Choice.class.isAssignableFrom(raw)) {
                return null;
            }
            Class type = raw;
            return new TypeAdapter<T>() {
                @Override
                public void write(JsonWriter out, T value) throws IOException {
                    if (value == null) {
                        out.nullValue();
                    } else {
                        out.value(((Choice) value).id());
                    }
                }

                @Override
                public T read(JsonReader in) throws IOException {
                    if (in.peek() == JsonToken.NULL) {
                        in.nextNull();
                        return null;
                    }
                    return (T) parse(type, in.nextString(), type.getSimpleName());
                }
            };
        }
    };
}
