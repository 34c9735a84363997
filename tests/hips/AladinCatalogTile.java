// Reads catalogue HiPS tiles with Aladin's own tile reader (cds.aladin.HealpixKeyCat, from the
// aladin.jar of the Debian "aladin" package) and prints, per file, what Aladin understood of the
// "# Completeness = N/M" line: nLoaded, nTotal and whether Aladin takes the tile as the last of
// its branch (then it loads no deeper tile under it).
// Usage: java -Djava.awt.headless=false -cp aladin.jar AladinCatalogTile.java < list of tile paths
// (headless=false: the class initialiser of HealpixKey builds an AWT label, which needs no display)
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

public class AladinCatalogTile {
    public static void main(String[] args) throws Exception {
        // Not initialised: the class initialisers of Aladin's planes build AWT widgets.
        ClassLoader loader = AladinCatalogTile.class.getClassLoader();
        Class<?> keyClass = Class.forName("cds.aladin.HealpixKeyCat", false, loader);
        Class<?> planClass = Class.forName("cds.aladin.PlanBG", false, loader);
        Constructor<?> make = keyClass.getDeclaredConstructor(planClass);
        make.setAccessible(true);
        Method testLast = keyClass.getDeclaredMethod("testLast", byte[].class);
        testLast.setAccessible(true);
        Field loaded = keyClass.getDeclaredField("nLoaded");
        Field total = keyClass.getDeclaredField("nTotal");
        Field last = keyClass.getDeclaredField("last");
        for (Field f : new Field[] {loaded, total, last}) {
            f.setAccessible(true);
        }
        BufferedReader input = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        for (String name = input.readLine(); name != null; name = input.readLine()) {
            Object key = make.newInstance((Object) null);
            boolean found = (Boolean) testLast.invoke(key, (Object) Files.readAllBytes(Path.of(name)));
            System.out.println(name + "\t" + found + "\t" + loaded.getInt(key) + "\t" + total.getInt(key)
                               + "\t" + last.getBoolean(key));
        }
    }
}
