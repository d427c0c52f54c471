// Regression tests for the decoding fast paths of docs/benchmarks.md ("Socket.IO layer, third round"):
// - Json::read() can leave a top-level array's first string out of the array (the event name);
// - the direct reader skips plain ASCII in strings 8 bytes at a time;
// - Decoder::setSeparateEventName() decodes like the plain decoder (checked on every wire
//   example in tst_socketiopacket, here on the cases specific to it).
#include "protocol/json.h"
#include "protocol/limits.h"
#include "protocol/socketiopacket.h"

#include <QCborArray>
#include <QCborMap>
#include <QTest>

using namespace SocketIo::Protocol;
using namespace Qt::StringLiterals;

class tst_SioFastPath : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstStringSeparated_data();
    void firstStringSeparated();
    void stringScanStopsAtEveryPosition();
    void separatingDecoder_data();
    void separatingDecoder();
};

namespace {

// {"k0":0,"k1":1,...} with \a members members
QByteArray objectOf(int members)
{
    QByteArray json("{");
    for (int i = 0; i < members; ++i) {
        if (i)
            json.append(',');
        json.append("\"k");
        json.append(QByteArray::number(i));
        json.append("\":");
        json.append(QByteArray::number(i));
    }
    json.append('}');
    return json;
}

} // namespace

void tst_SioFastPath::firstStringSeparated_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("separated");
    QTest::addColumn<QString>("name");

    QTest::newRow("event") << QByteArray(R"(["echo",1,{"a":2}])") << true << u"echo"_s;
    QTest::newRow("name only") << QByteArray(R"(["echo"])") << true << u"echo"_s;
    QTest::newRow("empty name") << QByteArray(R"(["",1])") << true << QString();
    QTest::newRow("non-ASCII name") << QByteArray("[\"\xc3\xa9v\xe2\x82\xac\",1]") << true << u"\u00e9v\u20ac"_s;
    QTest::newRow("space before name") << QByteArray(R"([ "echo" , 1 ])") << true << u"echo"_s;
    QTest::newRow("escaped name (fallback reader)") << QByteArray(R"(["ec\u0068o",1])") << true << u"echo"_s;
    QTest::newRow("escape in the arguments (fallback reader)") << QByteArray(R"(["echo","a\nb"])") << true << u"echo"_s;
    QTest::newRow("large object (fallback reader)") << QByteArray("[\"big\"," + objectOf(40) + "]") << true << u"big"_s;
    QTest::newRow("numeric name") << QByteArray(R"([7,"a"])") << false << QString();
    QTest::newRow("array name") << QByteArray(R"([["a"],"b"])") << false << QString();
    QTest::newRow("empty array") << QByteArray("[]") << false << QString();
    QTest::newRow("string, not an array") << QByteArray(R"("echo")") << false << QString();
    QTest::newRow("object") << QByteArray(R"({"a":"echo"})") << false << QString();
    QTest::newRow("string later in the array only") << QByteArray(R"([1,"echo"])") << false << QString();
}

void tst_SioFastPath::firstStringSeparated()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, separated);
    QFETCH(QString, name);

    QCborValue whole;
    QVERIFY(Json::read(json, &whole));
    Json::ReadInfo info;
    info.separateFirstString = true;
    QCborValue rest;
    QVERIFY(Json::read(json, &rest, nullptr, &info));
    QCOMPARE(info.firstStringSeparated, separated);
    QVERIFY(info.separateFirstString);   // the request is kept
    if (!separated) {
        QCOMPARE(rest, whole);
        QVERIFY(info.firstString.isEmpty());
        return;
    }
    QCOMPARE(info.firstString, name);
    QVERIFY(rest.isArray());
    QCborArray full = rest.toArray();
    full.prepend(info.firstString);
    QCOMPARE(QCborValue(full), whole);

    // errors are still errors, with a first string or not
    QVERIFY(!Json::read(QByteArray(json + "x"), &rest, nullptr, &info));
    QVERIFY(!Json::read(json.left(json.size() - 1), &rest, nullptr, &info));
}

void tst_SioFastPath::stringScanStopsAtEveryPosition()
{
    // the 8-byte scan must stop at a quote, a control character or a non-ASCII byte in any
    // position of a word, and at the end of the input
    struct Stop
    {
        QByteArray bytes;
        bool valid;          // the JSON is valid with it
    };
    const QList<Stop> stops = {
        {"\"", true},                // ends the string early: what follows must be JSON
        {"\x01", false},  {"\x1f", false}, {QByteArray(1, '\0'), false},
        {"\xc3\xa9", true}, {"\xe2\x82\xac", true}, {"\xf0\x9f\x98\x80", true},
        {"\xc3", false},  {"\xff", false}, {"\x7f", true}, {" ", true}, {"!", true}, {"#", true},
    };
    for (const Stop &stop : stops) {
        for (int before = 0; before < 19; ++before) {
            for (int after : {0, 1, 7, 8, 9}) {
                QByteArray content = QByteArray(before, 'a') + stop.bytes + QByteArray(after, 'b');
                QByteArray json = "[\"" + content + "\"]";
                if (stop.bytes == "\"")
                    json = "[\"" + QByteArray(before, 'a') + "\",\"" + QByteArray(after, 'b') + "\"]";
                QCborValue value;
                const bool ok = Json::read(json, &value);
                QVERIFY2(ok == stop.valid, json.toHex().constData());
                if (!ok)
                    continue;
                if (stop.bytes == "\"") {
                    QCOMPARE(value, QCborValue(QCborArray{QString(before, u'a'), QString(after, u'b')}));
                } else {
                    QCOMPARE(value, QCborValue(QCborArray{QString::fromUtf8(content)}));
                }
            }
        }
        // unterminated: the scan must not read past the end
        for (int before = 0; before < 17; ++before) {
            const QByteArray json = "[\"" + QByteArray(before, 'a');
            QVERIFY(!Json::read(json, nullptr));
        }
    }
}

void tst_SioFastPath::separatingDecoder_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<bool>("argsOnly");
    QTest::addColumn<QString>("event");
    QTest::addColumn<QByteArray>("data");       // JSON of Packet::data

    QTest::newRow("echo with ack") << QByteArray(R"(27["echo",{"t":1,"pad":"xx"}])") << true << u"echo"_s
                                   << QByteArray(R"([{"t":1,"pad":"xx"}])");
    QTest::newRow("name only") << QByteArray(R"(21["echo"])") << true << u"echo"_s << QByteArray("[]");
    QTest::newRow("custom namespace") << QByteArray(R"(2/chat,5["m","a",2])") << true << u"m"_s
                                      << QByteArray(R"(["a",2])");
    QTest::newRow("non-ASCII name") << QByteArray("20[\"\xc3\xa9\",1]") << true << u"\u00e9"_s << QByteArray("[1]");
    QTest::newRow("no ack id") << QByteArray(R"(2["echo",1])") << true << u"echo"_s << QByteArray("[1]");
    QTest::newRow("whitespace") << QByteArray(R"(21[ "echo", 1 ])") << true << u"echo"_s << QByteArray("[1]");
    QTest::newRow("double") << QByteArray(R"(21["echo",1.5])") << true << u"echo"_s << QByteArray("[1.5]");
    QTest::newRow("duplicate key") << QByteArray(R"(21["e",{"a":1,"a":2}])") << true << u"e"_s
                                   << QByteArray(R"([{"a":2}])");
    QTest::newRow("escaped name") << QByteArray(R"(21["\u0065cho",1])") << true << u"echo"_s << QByteArray("[1]");
    QTest::newRow("numeric name: whole array") << QByteArray(R"(29[7,"a"])") << false << QString()
                                               << QByteArray(R"([7,"a"])");
    QTest::newRow("ack: untouched") << QByteArray(R"(35["echo",1])") << false << QString()
                                    << QByteArray(R"(["echo",1])");
}

void tst_SioFastPath::separatingDecoder()
{
    QFETCH(QByteArray, text);
    QFETCH(bool, argsOnly);
    QFETCH(QString, event);
    QFETCH(QByteArray, data);

    Decoder decoder;
    decoder.setSeparateEventName(true);
    QCOMPARE(decoder.addText(text), Decoder::Result::Packet);
    const Packet packet = decoder.takePacket();
    QCOMPARE(packet.argsOnly, argsOnly);
    if (argsOnly)
        QCOMPARE(packet.event, event);
    QCOMPARE(Json::write(packet.data), data);

    // the option survives reset(); a reserved name is still refused, and so is an empty array
    decoder.reset();
    QCOMPARE(decoder.addText(QByteArray(R"(2["disconnect",1])")), Decoder::Result::Error);
    QCOMPARE(decoder.errorString(), u"invalid payload"_s);
    decoder.reset();
    QCOMPARE(decoder.addText(QByteArray("2[]")), Decoder::Result::Error);
    decoder.reset();
    QCOMPARE(decoder.addText(text), Decoder::Result::Packet);
    QCOMPARE(decoder.takePacket().argsOnly, argsOnly);

    // a binary event: name left out, placeholders replaced in the arguments
    decoder.reset();
    QCOMPARE(decoder.addText(QByteArray(R"(51-3["up",{"f":{"_placeholder":true,"num":0}}])")), Decoder::Result::NeedMore);
    QCOMPARE(decoder.addBinary(QByteArray("\x00\x01", 2)), Decoder::Result::Packet);
    const Packet binary = decoder.takePacket();
    QVERIFY(binary.argsOnly);
    QCOMPARE(binary.event, u"up"_s);
    QCOMPARE(binary.data, QCborValue(QCborArray{QCborMap{{u"f"_s, QByteArray("\x00\x01", 2)}}}));
}

QTEST_GUILESS_MAIN(tst_SioFastPath)
#include "tst_sio_fastpath.moc"
