package dev.bpfhook.jmx;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import javax.management.DescriptorKey;

/**
 * Whether a number only grows ("counter") or is a current value ("gauge"), in
 * the Descriptor's standard "metricType" field, for tools that chart them.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Metric {
    @DescriptorKey("metricType")
    String value();

    String COUNTER = "counter";
    String GAUGE = "gauge";
}
