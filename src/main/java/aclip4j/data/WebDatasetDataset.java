package aclip4j.data;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WebDataset tar shards, the img2dataset / open_clip layout: each sample is the tar members sharing a key (the
 * member name up to the first dot of its file name), an image {@code KEY.jpg}, {@code .jpeg} or {@code .png} and its
 * caption {@code KEY.txt}; other members ({@code .json}, ...) are ignored. {@code --data wds:PATTERN} names the
 * shards: one {@code .tar}, a brace range {@code DIR/{000000..000099}.tar} (zero-padded as written), or a folder,
 * meaning every {@code .tar} in it in name order.
 *
 * <p>Streamed: opening reads each shard's 512-byte member headers once and keeps, per sample, where its image and
 * caption lie (five numbers); {@link #image} and {@link #captions} read those bytes when asked. Every tenth sample
 * (the 10th, 20th, … in shard order) is held out for the test split. Errors name the shard and the sample.
 */
public final class WebDatasetDataset implements CaptionDataset {
    private static final Pattern RANGE = Pattern.compile("\\{(\\d+)\\.\\.(\\d+)}");

    /** Where one sample lies: shard, image bytes, caption bytes. */
    private record Sample(int shard, String key, String imageName, long imageAt, int imageSize, long textAt,
                          int textSize) {}

    private final List<Path> shards;
    private final Split split;
    private final List<Sample> samples;
    private final String pattern;

    public static WebDatasetDataset open(String pattern, Split split) {
        return new WebDatasetDataset(pattern, expand(pattern), split);
    }

    /** The shard files a pattern names, each checked to exist. */
    static List<Path> expand(String pattern) {
        List<Path> out = new ArrayList<>();
        Path asPath = Path.of(pattern);
        Matcher m = RANGE.matcher(pattern);
        if (m.find()) {
            String a = m.group(1), b = m.group(2);
            long from = Long.parseLong(a), to = Long.parseLong(b);
            if (to < from) {
                throw new IllegalArgumentException("shard range {" + a + ".." + b + "} in " + pattern + " is empty");
            }
            int width = a.length();
            for (long n = from; n <= to; n++) {
                String num = String.format("%0" + width + "d", n);
                out.add(Path.of(pattern.substring(0, m.start()) + num + pattern.substring(m.end())));
            }
        } else if (Files.isDirectory(asPath)) {
            try (var files = Files.list(asPath)) {
                files.filter(p -> p.getFileName().toString().endsWith(".tar")).sorted().forEach(out::add);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot list shard folder " + asPath + ": " + e.getMessage(), e);
            }
            if (out.isEmpty()) {
                throw new IllegalArgumentException("shard folder " + asPath + " holds no .tar files");
            }
        } else {
            out.add(asPath);
        }
        for (Path p : out) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("shard " + p + " does not exist (from wds:" + pattern + ")");
            }
        }
        return out;
    }

    private WebDatasetDataset(String pattern, List<Path> shards, Split split) {
        this.pattern = pattern;
        this.shards = List.copyOf(shards);
        this.split = split;
        List<Sample> all = new ArrayList<>();
        for (int s = 0; s < shards.size(); s++) {
            all.addAll(index(s, shards.get(s)));
        }
        List<Sample> mine = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if ((i % 10 == 9) == (split == Split.TEST)) {
                mine.add(all.get(i));
            }
        }
        if (mine.isEmpty()) {
            throw new IllegalArgumentException("wds:" + pattern + ": no samples for the " + split.name().toLowerCase()
                    + " split (" + all.size() + " samples; every tenth is held out for test)");
        }
        this.samples = List.copyOf(mine);
    }

    /** Reads the member headers of one shard; samples in the order their first member appears. */
    private static List<Sample> index(int s, Path shard) {
        Map<String, long[]> image = new LinkedHashMap<>(), text = new LinkedHashMap<>();
        Map<String, String> imageName = new LinkedHashMap<>();
        java.util.Set<String> order = new java.util.LinkedHashSet<>();
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "r")) {
            long at = 0, length = f.length();
            byte[] h = new byte[512];
            String longName = null;
            boolean ended = false;
            while (at + 512 <= length) {
                f.seek(at);
                f.readFully(h);
                if (allZero(h)) {
                    ended = true; // end-of-archive blocks
                    break;
                }
                String name = longName != null ? longName : field(h, 0, 100);
                longName = null;
                String prefix = field(h, 345, 155);
                if (!prefix.isEmpty() && h[257] == 'u') { // ustar prefix
                    name = prefix + "/" + name;
                }
                long size = octal(h, 124, 12, shard, at);
                char type = (char) h[156];
                long data = at + 512;
                if (data + size > length) {
                    throw new IllegalArgumentException("shard " + shard + " is truncated: member " + name + " needs "
                            + size + " bytes at offset " + data + ", the file has " + length);
                }
                if (type == 'L') { // GNU long name: the next header's name is this member's data
                    byte[] n = new byte[(int) size];
                    f.seek(data);
                    f.readFully(n);
                    longName = new String(n, StandardCharsets.UTF_8).replace("\0", "");
                } else if (type == '0' || type == '\0') {
                    String base = name.substring(name.lastIndexOf('/') + 1);
                    int dot = base.indexOf('.');
                    if (dot > 0) {
                        String key = name.substring(0, name.length() - base.length() + dot);
                        String ext = base.substring(dot + 1).toLowerCase(java.util.Locale.ROOT);
                        order.add(key);
                        if (size > Integer.MAX_VALUE) {
                            throw new IllegalArgumentException("shard " + shard + ": member " + name + " is too large");
                        }
                        if (ext.equals("jpg") || ext.equals("jpeg") || ext.equals("png")) {
                            image.put(key, new long[] {data, size});
                            imageName.put(key, base);
                        } else if (ext.equals("txt")) {
                            text.put(key, new long[] {data, size});
                        }
                    }
                }
                at = data + (size + 511) / 512 * 512;
            }
            if (!ended && at != length) {
                throw new IllegalArgumentException("shard " + shard + " is truncated: it ends at byte " + length
                        + ", inside a member (the next header would start at byte " + at + ")");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read shard " + shard + ": " + e.getMessage(), e);
        }
        List<Sample> out = new ArrayList<>();
        for (String key : order) {
            long[] img = image.get(key), txt = text.get(key);
            if (img == null && txt == null) {
                continue; // metadata-only members (.json, .cls) of no sample we read
            }
            if (img == null) {
                throw new IllegalArgumentException("shard " + shard + ": sample " + key + " has a caption but no"
                        + " .jpg/.jpeg/.png image");
            }
            if (txt == null) {
                throw new IllegalArgumentException("shard " + shard + ": sample " + key + " has no .txt caption");
            }
            out.add(new Sample(s, key, imageName.get(key), img[0], (int) img[1], txt[0], (int) txt[1]));
        }
        return out;
    }

    private static boolean allZero(byte[] h) {
        for (byte b : h) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String field(byte[] h, int from, int len) {
        int end = from;
        while (end < from + len && h[end] != 0) {
            end++;
        }
        return new String(h, from, end - from, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int from, int len, Path shard, long at) {
        String s = field(h, from, len).strip();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("shard " + shard + " is not a tar file: bad member size '" + s
                    + "' in the header at offset " + at);
        }
    }

    private byte[] read(Sample x, long at, int size) {
        byte[] b = new byte[size];
        try (RandomAccessFile f = new RandomAccessFile(shards.get(x.shard()).toFile(), "r")) {
            f.seek(at);
            f.readFully(b);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read sample " + x.key() + " of shard " + shards.get(x.shard())
                    + ": " + e.getMessage(), e);
        }
        return b;
    }

    @Override
    public int size() {
        return samples.size();
    }

    @Override
    public RgbImage image(int i) {
        checkIndex(i);
        Sample x = samples.get(i);
        return RgbImage.decode(read(x, x.imageAt(), x.imageSize()), x.imageName() + " of sample " + x.key()
                + " in shard " + shards.get(x.shard()));
    }

    @Override
    public List<String> captions(int i) {
        checkIndex(i);
        Sample x = samples.get(i);
        String caption = new String(read(x, x.textAt(), x.textSize()), StandardCharsets.UTF_8).strip();
        if (caption.isEmpty()) {
            throw new IllegalArgumentException("sample " + x.key() + " of shard " + shards.get(x.shard())
                    + " has an empty caption");
        }
        return List.of(caption);
    }

    @Override
    public String describe() {
        return "wds " + split.name().toLowerCase() + " " + size() + " samples from " + shards.size() + " shard"
                + (shards.size() == 1 ? "" : "s") + " (" + pattern + ")";
    }
}
