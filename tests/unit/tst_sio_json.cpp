// Regression tests for the faster JSON and packet paths (docs/benchmarks.md, "Echo and handshake
// path"): Json::read() takes a direct route for escape-free input with small objects and falls
// back to the CBOR-byte reader otherwise; both must give the same values. Json::write() writes
// through one growing buffer; its output is checked against a plain reference escaper.
// encodePacket() finds attachments while writing and rewrites the header only then.
#include "protocol/json.h"
#include "protocol/limits.h"
#include "protocol/socketiopacket.h"

#include <QCborArray>
#include <QCborMap>
#include <QRandomGenerator>
#include <QTest>

using namespace SocketIo::Protocol;
using namespace Qt::StringLiterals;

class tst_SioJson : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void directAndFallbackReadersAgree_data();
    void directAndFallbackReadersAgree();
    void malformedInputFailsOnBothReaders_data();
    void malformedInputFailsOnBothReaders();
    void objectsAroundTheMemberLimit();
    void nonAsciiKeysAreFound();
    void writtenStringsMatchReferenceEscaper();
    void writtenKeysMatchReferenceEscaper();
    void bufferGrowthKeepsEarlierOutput();
    void binaryHeaderIsRewritten_data();
    void binaryHeaderIsRewritten();
    void byteStringsOutsideEventsAreNull();
    void echoedPayloadKeepsKeyOrderAndTypes();
};

namespace {

QCborValue parseOk(const QByteArray &json)
{
    QCborValue value;
    QString error;
    if (!Json::read(json, &value, &error))
        qWarning("unexpected parse failure of %s: %s", json.constData(), qPrintable(error));
    return value;
}

// What JSON.stringify does to a string, written plainly, one UTF-16 unit at a time.
QByteArray referenceString(const QString &s)
{
    QByteArray out = "\"";
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char16_t c = s.at(i).unicode();
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c == '\b') {
            out += "\\b";
        } else if (c == '\f') {
            out += "\\f";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20) {
            out += QByteArray("\\u00") + QByteArray::number(c, 16).rightJustified(2, '0');
        } else if (QChar::isHighSurrogate(c) && i + 1 < s.size() && s.at(i + 1).isLowSurrogate()) {
            out += QString(s.mid(i, 2)).toUtf8();
            ++i;
        } else if (QChar::isSurrogate(c)) {
            out += QByteArray("\\u") + QByteArray::number(c, 16).rightJustified(4, '0');
        } else {
            out += QString(QChar(c)).toUtf8();
        }
    }
    out += '"';
    return out;
}

// A random string mixing printable ASCII, characters to escape, 2- and 3-byte characters,
// surrogate pairs and lone surrogates.
QString randomString(QRandomGenerator &rng, int length)
{
    QString s;
    while (s.size() < length) {
        switch (rng.bounded(8)) {
        case 0:
            s += QChar(char16_t(rng.bounded(0x20)));
            break;
        case 1:
            s += rng.bounded(2) ? u'"' : u'\\';
            break;
        case 2:
            s += QChar(char16_t(0x80 + rng.bounded(0x780)));
            break;
        case 3:
            s += QChar(char16_t(0x800 + rng.bounded(0xd000)));
            break;
        case 4:
            s += QChar(char16_t(0xd83d));
            s += QChar(char16_t(0xde00 + rng.bounded(0x40)));
            break;
        case 5:
            s += QChar(char16_t(0xd800 + rng.bounded(0x800)));   // lone surrogate
            break;
        default:
            s += QChar(char16_t(0x20 + rng.bounded(0x5f)));
            break;
        }
    }
    return s;
}

} // namespace

void tst_SioJson::directAndFallbackReadersAgree_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("echo payload") << QByteArray(R"(["echo",{"t":1764184000123456789,"seq":42,"pad":"xxxxxxxx"}])");
    QTest::newRow("integers") << QByteArray("[0,1,-1,9007199254740992,-9007199254740992,1234567890123456]");
    QTest::newRow("integers beyond 2^53") << QByteArray("[9007199254740993,-9007199254740993,12345678901234567]");
    QTest::newRow("minus zero") << QByteArray("[-0,-0.0,0.0,0e5]");
    QTest::newRow("doubles") << QByteArray("[1.5,-1.5e-7,1e2,1E+21,2.5e-300,0.1,123.456e1]");
    QTest::newRow("out of range") << QByteArray("[1e400,-1e400,1e-400,-1e-400]");
    QTest::newRow("literals") << QByteArray(R"([true,false,null,{"a":null}])");
    QTest::newRow("whitespace") << QByteArray(" \t\r\n[ 1 , { \"a\" : [ ] , \"b\" : { } } ] \n");
    QTest::newRow("utf-8 strings") << QByteArray("[\"h\xc3\xa9llo\",\"\xe2\x82\xac\",\"\xf0\x9f\x98\x80\",\"\"]");
    QTest::newRow("utf-8 keys") << QByteArray("{\"\xc3\xa9\":1,\"\xe2\x82\xac\":{\"\xf0\x9f\x98\x80\":2}}");
    QTest::newRow("duplicate keys") << QByteArray(R"({"a":1,"b":2,"a":3,"c":{"x":1,"x":[2]},"b":4})");
    QTest::newRow("key order") << QByteArray(R"({"z":1,"a":2,"m":{"3":0,"1":1,"2":2},"10":9,"9":10})");
    QTest::newRow("top-level scalar") << QByteArray("\"just a string\"");
    QTest::newRow("top-level number") << QByteArray("42");
    QTest::newRow("nested") << QByteArray(R"([[[[[{"a":[[{"b":[]}]]}]]]]])");
}

void tst_SioJson::directAndFallbackReadersAgree()
{
    // "[X,\"n\"]" is read by the direct reader (no escape in it); "[X,\"\\n\"]" by the fallback
    // reader, since it contains an escape. Element 0 of both must be the same value, of the same
    // types, with the same key order.
    QFETCH(QByteArray, json);
    const QCborValue direct = parseOk("[" + json + ",\"n\"]");
    const QCborValue fallback = parseOk("[" + json + ",\"\\n\"]");
    QVERIFY(direct.isArray());
    QVERIFY(fallback.isArray());
    QCOMPARE(direct.toArray().at(1).toString(), u"n"_s);
    QCOMPARE(fallback.toArray().at(1).toString(), u"\n"_s);
    const QCborValue a = direct.toArray().at(0);
    const QCborValue b = fallback.toArray().at(0);
    QCOMPARE(a.toDiagnosticNotation(), b.toDiagnosticNotation());
    QCOMPARE(Json::write(a), Json::write(b));
    QCOMPARE(a, b);
    // and the value read on its own (direct reader, or fallback for the out-of-range numbers)
    QCOMPARE(parseOk(json).toDiagnosticNotation(), a.toDiagnosticNotation());
}

void tst_SioJson::malformedInputFailsOnBothReaders_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("trailing comma") << QByteArray("[1,]");
    QTest::newRow("leading zero") << QByteArray("[01]");
    QTest::newRow("bare fraction") << QByteArray("[1.]");
    QTest::newRow("missing exponent") << QByteArray("[1e]");
    QTest::newRow("unterminated string") << QByteArray("[\"abc");
    QTest::newRow("control character") << QByteArray("[\"a\x01\"]");
    QTest::newRow("invalid utf-8") << QByteArray("[\"\xc3\x28\"]");
    QTest::newRow("overlong utf-8") << QByteArray("[\"\xc0\xaf\"]");
    QTest::newRow("non-string key") << QByteArray("{1:2}");
    QTest::newRow("missing colon") << QByteArray(R"({"a" 1})");
    QTest::newRow("garbage after value") << QByteArray("[1] x");
    QTest::newRow("bad literal") << QByteArray("[tru]");
    QTest::newRow("plus sign") << QByteArray("[+1]");
}

void tst_SioJson::malformedInputFailsOnBothReaders()
{
    QFETCH(QByteArray, json);
    QCborValue value(u"untouched"_s);
    QString error;
    QVERIFY(!Json::read(json, &value, &error));
    QVERIFY(!error.isEmpty());
    QCOMPARE(value, QCborValue(u"untouched"_s));   // not overwritten on failure
    // the same input with an escape elsewhere goes to the fallback reader directly: same verdict
    QString fallbackError;
    QVERIFY(!Json::read(QByteArray("[\"\\n\"," + json + "]"), &value, &fallbackError));
}

void tst_SioJson::objectsAroundTheMemberLimit()
{
    // The direct reader takes objects of up to 32 members; larger ones go to the fallback reader
    // (bounded duplicate search). Both sides of the limit, with a duplicate key as the last member.
    for (int members : {31, 32, 33, 200}) {
        QByteArray json = "{";
        for (int i = 0; i < members; ++i)
            json += "\"k" + QByteArray::number(i) + "\":" + QByteArray::number(i) + ",";
        json += "\"k0\":\"last\"}";
        const QCborMap map = parseOk(json).toMap();
        QCOMPARE(map.size(), members);
        QCOMPARE(map.value(u"k0"_s).toString(), u"last"_s);
        QCOMPARE(map.constBegin().key().toString(), u"k0"_s);   // at the first position
        QCOMPARE((map.constEnd() - 1).key().toString(), u"k"_s + QString::number(members - 1));
    }
}

void tst_SioJson::nonAsciiKeysAreFound()
{
    const QCborMap map = parseOk("{\"\xc3\xa9t\xc3\xa9\":1,\"ete\":2,\"\xc3\xa9t\xc3\xa9\":3}").toMap();
    QCOMPARE(map.size(), 2);
    QCOMPARE(map.value(u"\u00e9t\u00e9"_s).toInteger(), 3);
    QCOMPARE(map.value(u"ete"_s).toInteger(), 2);
}

void tst_SioJson::writtenStringsMatchReferenceEscaper()
{
    QRandomGenerator rng(20261126);
    for (int round = 0; round < 300; ++round) {
        const QString s = randomString(rng, int(rng.bounded(1, 400)));
        QCOMPARE(Json::write(QCborValue(s)), referenceString(s));
        // as an element of an array and a map (read in place from the container)
        QCOMPARE(Json::write(QCborArray{s, 1}), "[" + referenceString(s) + ",1]");
        QCOMPARE(Json::write(QCborMap{{u"k"_s, s}}), "{\"k\":" + referenceString(s) + "}");
    }
}

void tst_SioJson::writtenKeysMatchReferenceEscaper()
{
    QRandomGenerator rng(7);
    for (int round = 0; round < 100; ++round) {
        const QString key = randomString(rng, int(rng.bounded(1, 60)));
        QCborMap map;
        map.insert(key, u"v"_s);
        QCOMPARE(Json::write(map), "{" + referenceString(key) + ":\"v\"}");
    }
}

void tst_SioJson::bufferGrowthKeepsEarlierOutput()
{
    // many members, each forcing growth (escapes take six bytes), after text already written
    QCborArray array;
    QByteArray expected = "[";
    for (int i = 0; i < 200; ++i) {
        const QString s = QString(i, QChar(u'\x01')) + u"\u20ac"_s.repeated(i % 7);
        array.append(s);
        array.append(i);
        expected += referenceString(s) + "," + QByteArray::number(i) + (i < 199 ? "," : "");
    }
    expected += "]";
    QCOMPARE(Json::write(array), expected);
    // appended after a prefix
    QByteArray text = "42/chat,7";
    Json::writeTo(&text, array);
    QCOMPARE(text, "42/chat,7" + expected);
}

void tst_SioJson::binaryHeaderIsRewritten_data()
{
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QByteArray>("wire");
    QTest::newRow("event") << int(PacketType::Event) << u"/"_s << qint64(-1)
                           << QByteArray(R"(52-["e",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1}}])");
    QTest::newRow("event, namespace and id") << int(PacketType::Event) << u"/chat"_s << qint64(12)
                                             << QByteArray(R"(52-/chat,12["e",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1}}])");
    QTest::newRow("ack") << int(PacketType::Ack) << u"/"_s << qint64(3)
                         << QByteArray(R"(62-3["e",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1}}])");
    QTest::newRow("binary type given") << int(PacketType::BinaryAck) << u"/x"_s << qint64(0)
                                       << QByteArray(R"(62-/x,0["e",{"_placeholder":true,"num":0},{"a":{"_placeholder":true,"num":1}}])");
}

void tst_SioJson::binaryHeaderIsRewritten()
{
    QFETCH(int, type);
    QFETCH(QString, nsp);
    QFETCH(qint64, id);
    QFETCH(QByteArray, wire);
    Packet packet;
    packet.type = PacketType(type);
    packet.nsp = nsp;
    packet.id = id;
    packet.data = QCborArray{u"e"_s, QByteArray("\x01\x02", 2), QCborMap{{u"a"_s, QByteArray("\x03", 1)}}};
    const EncodedPacket encoded = encodePacket(packet);
    QCOMPARE(encoded.text, wire);
    QCOMPARE(encoded.attachments, (QList<QByteArray>{QByteArray("\x01\x02", 2), QByteArray("\x03", 1)}));
    // and the same packet without byte strings keeps the plain type
    packet.data = QCborArray{u"e"_s, 1};
    const QByteArray plain = encodePacket(packet).text;
    QCOMPARE(plain.at(0), type == int(PacketType::Event) ? '2' : '3');
    QVERIFY(encodePacket(packet).attachments.isEmpty());
}

void tst_SioJson::byteStringsOutsideEventsAreNull()
{
    Packet packet;
    packet.type = PacketType::ConnectError;
    packet.data = QCborMap{{u"message"_s, u"no"_s}, {u"data"_s, QByteArray("\x01", 1)}};
    const EncodedPacket encoded = encodePacket(packet);
    QCOMPARE(encoded.text, QByteArray(R"(4{"message":"no","data":null})"));
    QVERIFY(encoded.attachments.isEmpty());
}

void tst_SioJson::echoedPayloadKeepsKeyOrderAndTypes()
{
    // decode an EVENT, answer its arguments in an ACK: the same JSON (numbers as JavaScript
    // writes them), with and without escapes in the input (direct and fallback reader)
    const QList<std::pair<QByteArray, QByteArray>> cases = {
        {R"({"z":1,"a":2.5,"m":[true,null,"é",-0,1e21],"é":{"y":[],"x":{}}})",
         R"({"z":1,"a":2.5,"m":[true,null,"é",0,1e+21],"é":{"y":[],"x":{}}})"},
        {R"({"z":1,"a":2.5,"m":[true,null,"\u00e9\n",-0,1e21],"é":{"y":[],"x":{}}})",
         R"({"z":1,"a":2.5,"m":[true,null,"é\n",0,1e+21],"é":{"y":[],"x":{}}})"},
    };
    for (const auto &[args, expected] : cases) {
        Decoder decoder;
        QCOMPARE(decoder.addText(QByteArray("2/chat,99[\"echo\"," + args + ",7]")), Decoder::Result::Packet);
        Packet in = decoder.takePacket();
        QCborArray data = in.data.toArray();
        data.removeFirst();
        const EncodedPacket out = encodePacket(makeAckPacket(in.nsp, in.id, data));
        QCOMPARE(out.text, "3/chat,99[" + expected + ",7]");
    }
}

QTEST_GUILESS_MAIN(tst_SioJson)
#include "tst_sio_json.moc"
