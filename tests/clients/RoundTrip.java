// The Java client (kafka-clients) against `rtd-tui broker`, run as
//   java -cp 'KAFKA_JARS/*' RoundTrip.java BOOTSTRAP TOPIC GROUP [MAX_BLOCK_MS] < lines
// Each stdin line is KEY<TAB>VALUE: all are produced (waiting for each ack), then the
// topic is read back by a consumer group until as many messages came, each printed as
// got<TAB>KEY<TAB>VALUE (log lines go to stdout too). Exit status 1 if fewer came back.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class RoundTrip {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1], group = args[2];
        List<String[]> lines = new ArrayList<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (!line.isEmpty()) lines.add(line.split("\t", 2));
        }
        Properties producerConfig = new Properties();
        producerConfig.put("bootstrap.servers", bootstrap);
        producerConfig.put("key.serializer", StringSerializer.class.getName());
        producerConfig.put("value.serializer", StringSerializer.class.getName());
        if (args.length > 3) producerConfig.put("max.block.ms", args[3]);
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig);
        try {
            for (String[] kv : lines) producer.send(new ProducerRecord<>(topic, kv[0], kv[1])).get();
        } catch (Exception e) {  // exit at once: close() would wait for a broker that never answers
            System.err.println("produce failed: " + e.getMessage());
            System.exit(1);
        }
        producer.close();
        Properties consumerConfig = new Properties();
        consumerConfig.put("bootstrap.servers", bootstrap);
        consumerConfig.put("group.id", group);
        consumerConfig.put("auto.offset.reset", "earliest");
        consumerConfig.put("key.deserializer", StringDeserializer.class.getName());
        consumerConfig.put("value.deserializer", StringDeserializer.class.getName());
        int seen = 0;
        long deadline = System.currentTimeMillis() + 60_000;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerConfig)) {
            consumer.subscribe(List.of(topic));
            while (seen < lines.size() && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    System.out.println("got\t" + r.key() + "\t" + r.value());
                    seen++;
                }
            }
        }
        System.exit(seen >= lines.size() ? 0 : 1);
    }
}
