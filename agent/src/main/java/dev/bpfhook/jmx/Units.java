package dev.bpfhook.jmx;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import javax.management.DescriptorKey;

/** The unit of an attribute, in its Descriptor's standard "units" field (e.g. "bytes", "ns"). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Units {
    @DescriptorKey("units")
    String value();
}
