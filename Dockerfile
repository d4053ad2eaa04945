# opsbot: build with Maven, run on a Java 21 runtime as a non-root user.
# Mount the configuration at /etc/opsbot (opsbot.yml, the SSH key, known_hosts); data lives in /var/lib/opsbot.
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml .
COPY config config
COPY commands commands
COPY bot bot
RUN mvn -B -ntp -q package -DskipTests

FROM eclipse-temurin:21-jre
RUN useradd --system --home-dir /var/lib/opsbot --create-home --shell /usr/sbin/nologin opsbot \
    && chmod 700 /var/lib/opsbot   # opsbot refuses a data directory others can read
COPY --from=build /src/bot/target/opsbot.jar /opt/opsbot/opsbot.jar
COPY scripts/jvm.options /opt/opsbot/jvm.options
# Two glibc malloc arenas instead of up to 8 per core (as ./opsbot sets it): see README, Benchmark.
ENV MALLOC_ARENA_MAX=2
USER opsbot
WORKDIR /var/lib/opsbot
VOLUME ["/var/lib/opsbot"]
ENTRYPOINT ["java", "@/opt/opsbot/jvm.options", "-jar", "/opt/opsbot/opsbot.jar"]
CMD ["run", "--config", "/etc/opsbot/opsbot.yml"]
