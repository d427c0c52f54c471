// Engine.IO v4 packet and polling payload codec (protocol.md 1.2, 1.3).
#include "protocol/enginepacket.h"

#include <QTest>

using namespace SocketIo::Protocol;

Q_DECLARE_METATYPE(SocketIo::Protocol::EnginePacketType)

class tst_EnginePacket : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void decodesValidPackets_data();
    void decodesValidPackets();
    void refusesMalformedPackets_data();
    void refusesMalformedPackets();
    void encodesPackets_data();
    void encodesPackets();
    void decodesPayloads_data();
    void decodesPayloads();
    void payloadStopsAtFirstInvalidRecord_data();
    void payloadStopsAtFirstInvalidRecord();
    void payloadRoundTripsAndSizesMatch();
};

void tst_EnginePacket::decodesValidPackets_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<EnginePacketType>("type");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("binary");

    QTest::newRow("open with json") << QByteArray("0{\"sid\":\"x\"}") << EnginePacketType::Open << QByteArray("{\"sid\":\"x\"}") << false;
    QTest::newRow("close") << QByteArray("1") << EnginePacketType::Close << QByteArray() << false;
    QTest::newRow("ping") << QByteArray("2") << EnginePacketType::Ping << QByteArray() << false;
    QTest::newRow("ping probe") << QByteArray("2probe") << EnginePacketType::Ping << QByteArray("probe") << false;
    QTest::newRow("pong probe") << QByteArray("3probe") << EnginePacketType::Pong << QByteArray("probe") << false;
    QTest::newRow("message") << QByteArray("4hello") << EnginePacketType::Message << QByteArray("hello") << false;
    QTest::newRow("empty message") << QByteArray("4") << EnginePacketType::Message << QByteArray() << false;
    QTest::newRow("message with multibyte utf8") << QByteArray("4h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") << EnginePacketType::Message << QByteArray("h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") << false;
    QTest::newRow("upgrade") << QByteArray("5") << EnginePacketType::Upgrade << QByteArray() << false;
    QTest::newRow("noop") << QByteArray("6") << EnginePacketType::Noop << QByteArray() << false;
    QTest::newRow("binary padded") << QByteArray("bAQIDBA==") << EnginePacketType::Message << QByteArray("\x01\x02\x03\x04") << true;
    QTest::newRow("binary unpadded") << QByteArray("bAQIDBA") << EnginePacketType::Message << QByteArray("\x01\x02\x03\x04") << true;
    QTest::newRow("binary empty") << QByteArray("b") << EnginePacketType::Message << QByteArray() << true;
    QTest::newRow("binary with nul bytes") << QByteArray("bAAAA") << EnginePacketType::Message << QByteArray(3, '\0') << true;
}

void tst_EnginePacket::decodesValidPackets()
{
    QFETCH(QByteArray, input);
    QFETCH(EnginePacketType, type);
    QFETCH(QByteArray, data);
    QFETCH(bool, binary);
    EnginePacket p;
    QString error;
    QVERIFY2(decodeEnginePacket(input, &p, &error), qPrintable(error));
    QCOMPARE(p.type, type);
    QCOMPARE(p.data, data);
    QCOMPARE(p.binary, binary);
    // the variant for text known to be valid UTF-8 (WebSocket frames) decodes the same
    EnginePacket q;
    QVERIFY2(decodeValidUtf8EnginePacket(QByteArray(input), &q, &error), qPrintable(error));
    QCOMPARE(q.type, type);
    QCOMPARE(q.data, data);
    QCOMPARE(q.binary, binary);
}

void tst_EnginePacket::refusesMalformedPackets_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("type 7") << QByteArray("7");
    QTest::newRow("type letter") << QByteArray("x");
    QTest::newRow("record separator as type") << QByteArray("\x1e");
    QTest::newRow("base64 with invalid char") << QByteArray("bAQ*D");
    QTest::newRow("base64 one char too many") << QByteArray("bAQIDB");
    QTest::newRow("base64 padding in the middle") << QByteArray("bAQ==IDBA");
    QTest::newRow("base64 url alphabet") << QByteArray("b-_-_");
    QTest::newRow("base64 wrong padding count") << QByteArray("bAQIDBA=");
    QTest::newRow("invalid utf8 continuation") << QByteArray("4\x80");
    QTest::newRow("overlong utf8") << QByteArray("4\xc0\xaf");
    QTest::newRow("utf8 surrogate") << QByteArray("4\xed\xa0\x80");
    QTest::newRow("utf8 above U+10FFFF") << QByteArray("4\xf4\x90\x80\x80");
    QTest::newRow("truncated utf8") << QByteArray("4\xe2\x82");
    QTest::newRow("byte 0xff") << QByteArray("4\xff");
}

void tst_EnginePacket::refusesMalformedPackets()
{
    QFETCH(QByteArray, input);
    EnginePacket p;
    QString error;
    QVERIFY(!decodeEnginePacket(input, &p, &error));
    QVERIFY(!error.isEmpty());
    // refused by the valid-UTF-8 variant too, unless invalid UTF-8 is what is wrong with it
    if (QUtf8StringView(input).isValidUtf8()) {
        QString again;
        QVERIFY(!decodeValidUtf8EnginePacket(QByteArray(input), &p, &again));
        QCOMPARE(again, error);
    }
}

void tst_EnginePacket::encodesPackets_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<bool>("binary");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("ping") << 2 << QByteArray() << false << QByteArray("2");
    QTest::newRow("pong probe") << 3 << QByteArray("probe") << false << QByteArray("3probe");
    QTest::newRow("message") << 4 << QByteArray("hello") << false << QByteArray("4hello");
    QTest::newRow("binary padded base64") << 4 << QByteArray("\x01\x02\x03\x04", 4) << true << QByteArray("bAQIDBA==");
}

void tst_EnginePacket::encodesPackets()
{
    QFETCH(int, type);
    QFETCH(QByteArray, data);
    QFETCH(bool, binary);
    QFETCH(QByteArray, expected);
    const EnginePacket p = binary ? EnginePacket::bytes(data)
                                  : EnginePacket::text(EnginePacketType(type), data);
    QCOMPARE(encodeEnginePacket(p), expected);
    QCOMPARE(encodedPayloadSize(p), expected.size());
}

void tst_EnginePacket::decodesPayloads_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("count");
    QTest::newRow("single") << QByteArray("4hello") << 1;
    QTest::newRow("text and binary") << QByteArray("4hello\x1e" "bAQIDBA==") << 2;
    QTest::newRow("three") << QByteArray("4a\x1e" "2\x1e" "4b") << 3;
    QTest::newRow("empty messages") << QByteArray("4\x1e" "4") << 2;
}

void tst_EnginePacket::decodesPayloads()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, count);
    QList<EnginePacket> packets;
    QString error;
    QVERIFY2(decodePayload(payload, &packets, &error), qPrintable(error));
    QCOMPARE(packets.size(), count);
    QCOMPARE(encodePayload(packets), payload);
}

void tst_EnginePacket::payloadStopsAtFirstInvalidRecord_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<int>("validBefore");
    QTest::newRow("empty body") << QByteArray() << 0;
    QTest::newRow("trailing separator") << QByteArray("4a\x1e") << 1;
    QTest::newRow("leading separator") << QByteArray("\x1e" "4a") << 0;
    QTest::newRow("double separator") << QByteArray("4a\x1e\x1e" "4b") << 1;
    QTest::newRow("bad second record") << QByteArray("4a\x1e" "9\x1e" "4c") << 1;
    QTest::newRow("bad base64 third") << QByteArray("4a\x1e" "4b\x1e" "b!!") << 2;
    QTest::newRow("invalid utf8 first") << QByteArray("4\xfe\x1e" "4b") << 0;
}

void tst_EnginePacket::payloadStopsAtFirstInvalidRecord()
{
    QFETCH(QByteArray, payload);
    QFETCH(int, validBefore);
    QList<EnginePacket> packets;
    QString error;
    QVERIFY(!decodePayload(payload, &packets, &error));
    QVERIFY(!error.isEmpty());
    QCOMPARE(packets.size(), validBefore);
}

void tst_EnginePacket::payloadRoundTripsAndSizesMatch()
{
    const QList<EnginePacket> packets{
        EnginePacket::text(EnginePacketType::Message, "hello"),
        EnginePacket::bytes(QByteArray("\x00\xff\x10", 3)),
        EnginePacket::text(EnginePacketType::Ping),
        EnginePacket::bytes(QByteArray(1000, 'x')),
    };
    const QByteArray payload = encodePayload(packets);
    qsizetype expected = packets.size() - 1;
    for (const EnginePacket &p : packets)
        expected += encodedPayloadSize(p);
    QCOMPARE(payload.size(), expected);
    QList<EnginePacket> decoded;
    QVERIFY(decodePayload(payload, &decoded));
    QCOMPARE(decoded.size(), packets.size());
    for (qsizetype i = 0; i < packets.size(); ++i) {
        QCOMPARE(decoded.at(i).type, packets.at(i).type);
        QCOMPARE(decoded.at(i).binary, packets.at(i).binary);
        QCOMPARE(decoded.at(i).data, packets.at(i).data);
    }
}

QTEST_APPLESS_MAIN(tst_EnginePacket)
#include "tst_enginepacket.moc"
