// Unit tests of protocol/socketiopacket: the Socket.IO v5 packet codec (protocol.md 2.1-2.4, 2.10).
#include "protocol/json.h"
#include "protocol/socketiopacket.h"

#include <QCborArray>
#include <QCborMap>
#include <QDir>
#include <QFile>
#include <QTest>

using namespace SocketIo::Protocol;

Q_DECLARE_METATYPE(SocketIo::Protocol::PacketType)

namespace {

QCborValue json(const char *text)
{
    QCborValue v;
    QString error;
    if (!Json::read(QByteArrayView(text), &v, &error))
        qFatal("bad JSON in test data: %s (%s)", text, qPrintable(error));
    return v;
}

QCborValue placeholder(int n)
{
    return QCborMap{{QStringLiteral("_placeholder"), true}, {QStringLiteral("num"), n}};
}

Packet makePacket(PacketType type, const QString &nsp, qint64 id, const QCborValue &data)
{
    Packet p;
    p.type = type;
    p.nsp = nsp;
    p.id = id;
    p.data = data;
    return p;
}

const QString Main = QStringLiteral("/");
const QString Admin = QStringLiteral("/admin");
const QByteArray Bytes123("\x01\x02\x03", 3); // "AQID" in the polling examples

struct Fed
{
    Decoder::Result result = Decoder::Result::Error;
    Packet packet;
    QString error;
};

// Feeds one text message and its attachments; stops at the first result that is not NeedMore.
Fed feed(Decoder &decoder, const QByteArray &text, const QList<QByteArray> &attachments = {})
{
    Fed fed;
    fed.result = decoder.addText(text);
    for (const QByteArray &a : attachments) {
        if (fed.result != Decoder::Result::NeedMore)
            break;
        fed.result = decoder.addBinary(a);
    }
    if (fed.result == Decoder::Result::Packet)
        fed.packet = decoder.takePacket();
    fed.error = decoder.errorString();
    return fed;
}

// The server's decoder leaves a string event name out of the data (Decoder::setSeparateEventName).
// Checks that it decodes \a text and \a attachments exactly as a plain decoder does: same
// result and error, same packet once the name is put back in front of the arguments.
bool decodesLikePlainDecoder(const QByteArray &text, const QList<QByteArray> &attachments = {})
{
    Decoder plain;
    Decoder separating;
    separating.setSeparateEventName(true);
    const Fed a = feed(plain, text, attachments);
    const Fed b = feed(separating, text, attachments);
    if (a.result != b.result || a.error != b.error) {
        qWarning("results differ for %s: %s / %s", text.constData(), qPrintable(a.error), qPrintable(b.error));
        return false;
    }
    if (a.result != Decoder::Result::Packet)
        return true;
    QCborValue data = b.packet.data;
    if (b.packet.argsOnly) {
        if (a.packet.type != PacketType::Event || !b.packet.data.isArray())
            return false;
        QCborArray full = b.packet.data.toArray();
        full.prepend(b.packet.event);
        data = full;
    }
    if (a.packet.type != b.packet.type || a.packet.nsp != b.packet.nsp || a.packet.id != b.packet.id
        || a.packet.data != data) {
        qWarning("packets differ for %s", text.constData());
        return false;
    }
    // argsOnly exactly when an EVENT's name is a string
    const QCborArray plainArray = a.packet.data.toArray();
    const bool stringName = a.packet.type == PacketType::Event && !plainArray.isEmpty() && plainArray.at(0).isString();
    if (b.packet.argsOnly != stringName) {
        qWarning("argsOnly is %d for %s", int(b.packet.argsOnly), text.constData());
        return false;
    }
    return true;
}

} // namespace

class tst_SocketIoPacket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wireExamples_data();
    void encodeWireExamples_data() { wireExamples_data(); }
    void encodeWireExamples();
    void decodeWireExamples_data() { wireExamples_data(); }
    void decodeWireExamples();
    void decodeLenient_data();
    void decodeLenient();
    void malformed_data();
    void malformed();
    void binaryReconstruction_data();
    void binaryReconstruction();
    void tooManyAttachments();
    void maxAttachmentsIsConfigurable();
    void badPlaceholders_data();
    void badPlaceholders();
    void textWhileReconstructing();
    void binaryWithoutHeader();
    void errorIsStickyUntilReset();
    void consecutivePackets();
    void encoderDetails();
    void makeEventPacketHelper();
    void reservedEventNames_data();
    void reservedEventNames();
    void fuzzCorpusDecodesTheSame();
};

void tst_SocketIoPacket::wireExamples_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QList<QByteArray>>("attachments");
    QTest::addColumn<PacketType>("type"); // as decoded: binary packets are reported as EVENT/ACK
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QCborValue>("data");

    const QList<QByteArray> none;
    const QByteArray b0("first"), b1("second");

    // protocol.md 2.2
    QTest::newRow("connect to main namespace") << QByteArray("0") << none << PacketType::Connect << Main << qint64(-1) << QCborValue();
    QTest::newRow("connect reply on admin")
            << QByteArray(R"(0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"})") << none << PacketType::Connect << Admin
            << qint64(-1) << json(R"({"sid":"oSO0OpakMV_3jnilAAAA"})");
    QTest::newRow("event foo") << QByteArray(R"(2["foo"])") << none << PacketType::Event << Main << qint64(-1) << json(R"(["foo"])");
    QTest::newRow("event on admin") << QByteArray(R"(2/admin,["bar"])") << none << PacketType::Event << Admin
                                    << qint64(-1) << json(R"(["bar"])");
    QTest::newRow("event with ack id 12") << QByteArray(R"(212["foo"])") << none << PacketType::Event << Main
                                          << qint64(12) << json(R"(["foo"])");
    QTest::newRow("ack on admin with id 13") << QByteArray(R"(3/admin,13["bar"])") << none << PacketType::Ack << Admin
                                             << qint64(13) << json(R"(["bar"])");
    QTest::newRow("connect error object") << QByteArray(R"(4{"message":"Not authorized"})") << none
                                          << PacketType::ConnectError << Main << qint64(-1) << json(R"({"message":"Not authorized"})");
    QTest::newRow("binary event one attachment")
            << QByteArray(R"(51-["baz",{"_placeholder":true,"num":0}])") << QList<QByteArray>{b0}
            << PacketType::Event << Main << qint64(-1) << QCborValue(QCborArray{QStringLiteral("baz"), b0});
    QTest::newRow("binary event two attachments on admin")
            << QByteArray(R"(52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")
            << QList<QByteArray>{b0, b1} << PacketType::Event << Admin << qint64(-1)
            << QCborValue(QCborArray{QStringLiteral("baz"), b0, b1});
    QTest::newRow("binary ack with id 15")
            << QByteArray(R"(61-15["bar",{"_placeholder":true,"num":0}])") << QList<QByteArray>{b0}
            << PacketType::Ack << Main << qint64(15) << QCborValue(QCborArray{QStringLiteral("bar"), b0});
    QTest::newRow("disconnect from admin keeps the comma") << QByteArray("1/admin,") << none << PacketType::Disconnect
                                                           << Admin << qint64(-1) << QCborValue();
    QTest::newRow("connect to admin keeps the comma") << QByteArray("0/admin,") << none << PacketType::Connect
                                                      << Admin << qint64(-1) << QCborValue();
    QTest::newRow("disconnect from main") << QByteArray("1") << none << PacketType::Disconnect << Main << qint64(-1) << QCborValue();
    QTest::newRow("ack id 0 is written") << QByteArray(R"(20["x"])") << none << PacketType::Event << Main
                                         << qint64(0) << json(R"(["x"])");
    // protocol.md 2.5
    QTest::newRow("invalid namespace error") << QByteArray(R"(4/random,{"message":"Invalid namespace"})") << none
                                             << PacketType::ConnectError << QStringLiteral("/random") << qint64(-1)
                                             << json(R"({"message":"Invalid namespace"})");
    QTest::newRow("middleware error with data")
            << QByteArray(R"(4/deny,{"message":"not authorized","data":{"code":42}})") << none
            << PacketType::ConnectError << QStringLiteral("/deny") << qint64(-1)
            << json(R"({"message":"not authorized","data":{"code":42}})");
    QTest::newRow("connect reply on custom") << QByteArray(R"(0/custom,{"sid":"wZX3oN0bSVIhsaknAAAI"})") << none
                                             << PacketType::Connect << QStringLiteral("/custom") << qint64(-1)
                                             << json(R"({"sid":"wZX3oN0bSVIhsaknAAAI"})");
    // protocol.md 2.6
    QTest::newRow("suite message with ack")
            << QByteArray(R"(2456["message-with-ack",1,"2",{"3":[false]}])") << none << PacketType::Event << Main
            << qint64(456) << json(R"(["message-with-ack",1,"2",{"3":[false]}])");
    QTest::newRow("suite ack reply") << QByteArray(R"(3456[1,"2",{"3":[false]}])") << none << PacketType::Ack << Main
                                     << qint64(456) << json(R"([1,"2",{"3":[false]}])");
    QTest::newRow("suite binary message with ack")
            << QByteArray(R"(52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")
            << QList<QByteArray>{b0, b1} << PacketType::Event << Main << qint64(789)
            << QCborValue(QCborArray{QStringLiteral("message-with-ack"), b0, b1});
    QTest::newRow("suite binary ack reply")
            << QByteArray(R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])")
            << QList<QByteArray>{b0, b1} << PacketType::Ack << Main << qint64(789) << QCborValue(QCborArray{b0, b1});
    QTest::newRow("binary ack with only a buffer") << QByteArray(R"(61-1[{"_placeholder":true,"num":0}])")
                                                   << QList<QByteArray>{Bytes123} << PacketType::Ack << Main
                                                   << qint64(1) << QCborValue(QCborArray{Bytes123});
    // protocol.md 2.10 (each Socket.IO packet, without the Engine.IO "4" prefix)
    QTest::newRow("2.10 connect request") << QByteArray("0") << none << PacketType::Connect << Main << qint64(-1) << QCborValue();
    QTest::newRow("2.10 connect reply") << QByteArray(R"(0{"sid":"paACSFh0O2Ls-VK1AAAA"})") << none
                                        << PacketType::Connect << Main << qint64(-1) << json(R"({"sid":"paACSFh0O2Ls-VK1AAAA"})");
    QTest::newRow("2.10 hello with ack") << QByteArray(R"(21["hello","x"])") << none << PacketType::Event << Main
                                         << qint64(1) << json(R"(["hello","x"])");
    QTest::newRow("2.10 bin event") << QByteArray(R"(51-["bin",{"_placeholder":true,"num":0}])")
                                    << QList<QByteArray>{Bytes123} << PacketType::Event << Main << qint64(-1)
                                    << QCborValue(QCborArray{QStringLiteral("bin"), Bytes123});
    QTest::newRow("2.10 binary ack ok") << QByteArray(R"(61-1["ok",{"_placeholder":true,"num":0}])")
                                        << QList<QByteArray>{Bytes123} << PacketType::Ack << Main << qint64(1)
                                        << QCborValue(QCborArray{QStringLiteral("ok"), Bytes123});
    QTest::newRow("2.10 bin-back event") << QByteArray(R"(51-["bin-back",{"_placeholder":true,"num":0}])")
                                         << QList<QByteArray>{Bytes123} << PacketType::Event << Main << qint64(-1)
                                         << QCborValue(QCborArray{QStringLiteral("bin-back"), Bytes123});
    // more shapes
    QTest::newRow("numeric event name") << QByteArray(R"(2[1,"a"])") << none << PacketType::Event << Main
                                        << qint64(-1) << json(R"([1,"a"])");
    QTest::newRow("empty ack") << QByteArray("3/admin,7[]") << none << PacketType::Ack << Admin << qint64(7) << json("[]");
    QTest::newRow("connect error as plain string") << QByteArray(R"(4"oops")") << none << PacketType::ConnectError
                                                   << Main << qint64(-1) << json(R"("oops")");
    QTest::newRow("largest ack id") << QByteArray(R"(29223372036854775807["a"])") << none << PacketType::Event
                                    << Main << qint64(9223372036854775807) << json(R"(["a"])");
    QTest::newRow("unicode namespace and data")
            << QByteArray("2/\xc3\xa9t\xc3\xa9,[\"\xf0\x9f\x98\x80\",\"\\u001e\"]") << none << PacketType::Event
            << QString::fromUtf8("/\xc3\xa9t\xc3\xa9") << qint64(-1)
            << QCborValue(QCborArray{QString::fromUtf8("\xf0\x9f\x98\x80"), QStringLiteral("\x1e")});
    QTest::newRow("binary nested in objects, depth-first numbering")
            << QByteArray(R"(52-["ev",{"b":{"_placeholder":true,"num":0},"a":[{"_placeholder":true,"num":1}]}])")
            << QList<QByteArray>{b0, b1} << PacketType::Event << Main << qint64(-1)
            << QCborValue(QCborArray{QStringLiteral("ev"),
                                     QCborMap{{QStringLiteral("b"), b0}, {QStringLiteral("a"), QCborArray{b1}}}});
    QTest::newRow("empty buffer") << QByteArray(R"(51-["e",{"_placeholder":true,"num":0}])") << QList<QByteArray>{QByteArray()}
                                  << PacketType::Event << Main << qint64(-1) << QCborValue(QCborArray{QStringLiteral("e"), QByteArray()});
}

void tst_SocketIoPacket::encodeWireExamples()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<QByteArray>, attachments);
    QFETCH(PacketType, type);
    QFETCH(QString, nsp);
    QFETCH(qint64, id);
    QFETCH(QCborValue, data);

    const EncodedPacket encoded = encodePacket(makePacket(type, nsp, id, data));
    QCOMPARE(encoded.text, text);
    QCOMPARE(encoded.attachments, attachments);
}

void tst_SocketIoPacket::decodeWireExamples()
{
    QFETCH(QByteArray, text);
    QFETCH(QList<QByteArray>, attachments);
    QFETCH(PacketType, type);
    QFETCH(QString, nsp);
    QFETCH(qint64, id);
    QFETCH(QCborValue, data);

    Decoder decoder;
    const Decoder::Result first = decoder.addText(text);
    QCOMPARE(first, attachments.isEmpty() ? Decoder::Result::Packet : Decoder::Result::NeedMore);
    QCOMPARE(decoder.isReconstructing(), !attachments.isEmpty());
    Decoder::Result result = first;
    for (qsizetype i = 0; i < attachments.size(); ++i) {
        result = decoder.addBinary(attachments.at(i));
        QCOMPARE(result, i + 1 < attachments.size() ? Decoder::Result::NeedMore : Decoder::Result::Packet);
    }
    QVERIFY(!decoder.isReconstructing());
    const Packet packet = decoder.takePacket();
    QCOMPARE(packet.type, type);
    QCOMPARE(packet.nsp, nsp);
    QCOMPARE(packet.id, id);
    QCOMPARE(packet.hasId(), id >= 0);
    QCOMPARE(packet.data, data);
    QVERIFY(decoder.errorString().isEmpty());
    QVERIFY(decodesLikePlainDecoder(text, attachments));
}

void tst_SocketIoPacket::decodeLenient_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("attachments");
    QTest::addColumn<PacketType>("type");
    QTest::addColumn<QString>("nsp");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QCborValue>("data");

    // Inputs the reference parser accepts although its encoder never writes them.
    QTest::newRow("namespace without trailing comma") << QByteArray("0/custom") << 0 << PacketType::Connect
                                                      << QStringLiteral("/custom") << qint64(-1) << QCborValue();
    QTest::newRow("event without payload (42) is an empty event")
            << QByteArray("2") << 0 << PacketType::Event << Main << qint64(-1) << QCborValue();
    QTest::newRow("event without payload on a namespace with ack id")
            << QByteArray("2/admin,5") << 0 << PacketType::Event << Admin << qint64(5) << QCborValue();
    QTest::newRow("ack without payload") << QByteArray("3") << 0 << PacketType::Ack << Main << qint64(-1) << QCborValue();
    QTest::newRow("connect error with ack id and no payload (41 is DISCONNECT, 4 then 1)")
            << QByteArray("41") << 0 << PacketType::ConnectError << Main << qint64(1) << QCborValue();
    QTest::newRow("ack id with leading zeros") << QByteArray(R"(2007["a"])") << 0 << PacketType::Event << Main
                                               << qint64(7) << json(R"(["a"])");
    QTest::newRow("space as type reads as connect") << QByteArray(" ") << 0 << PacketType::Connect << Main
                                                    << qint64(-1) << QCborValue();
    QTest::newRow("tab type then namespace") << QByteArray("\t/a,{}") << 0 << PacketType::Connect
                                             << QStringLiteral("/a") << qint64(-1) << json("{}");
    QTest::newRow("no-break space as type") << QByteArray("\xc2\xa0{}") << 0 << PacketType::Connect << Main
                                            << qint64(-1) << json("{}");
    QTest::newRow("byte order mark as type") << QByteArray("\xef\xbb\xbf") << 0 << PacketType::Connect << Main
                                             << qint64(-1) << QCborValue();
    QTest::newRow("space before payload is ack id 0 (Number(\" \") is 0)")
            << QByteArray(R"(2 ["a"])") << 0 << PacketType::Event << Main << qint64(0) << json(R"(["a"])");
    QTest::newRow("whitespace around ack id") << QByteArray("2/x, 12\u3000[\"a\"]") << 0 << PacketType::Event
                                              << QStringLiteral("/x") << qint64(12) << json(R"(["a"])");
    QTest::newRow("attachment count with exponent") << QByteArray(R"(51e0-["a"])") << 1 << PacketType::Event
                                                    << Main << qint64(-1) << json(R"(["a"])");
    QTest::newRow("attachment count in hex") << QByteArray(R"(50xA-["a"])") << 10 << PacketType::Event
                                             << Main << qint64(-1) << json(R"(["a"])");
    QTest::newRow("attachment count with spaces and fraction")
            << QByteArray(R"(6 2.0 -["a"])") << 2 << PacketType::Ack << Main << qint64(-1) << json(R"(["a"])");
    QTest::newRow("attachment count with plus sign") << QByteArray(R"(5+1-["a"])") << 1 << PacketType::Event
                                                     << Main << qint64(-1) << json(R"(["a"])");
    QTest::newRow("ten attachments") << QByteArray(R"(510-["a"])") << 10 << PacketType::Event << Main
                                     << qint64(-1) << json(R"(["a"])");
    QTest::newRow("binary event without payload") << QByteArray("51-") << 1 << PacketType::Event << Main
                                                  << qint64(-1) << QCborValue();
    QTest::newRow("placeholder in a non-binary event stays an object")
            << QByteArray(R"(2["a",{"_placeholder":true,"num":0}])") << 0 << PacketType::Event << Main
            << qint64(-1) << QCborValue(QCborArray{QStringLiteral("a"), placeholder(0)});
    QTest::newRow("json whitespace inside payload") << QByteArray("2[ \"a\" , 1 ]\n") << 0 << PacketType::Event
                                                    << Main << qint64(-1) << json(R"(["a",1])");
    QTest::newRow("error event name is not reserved") << QByteArray(R"(2["error"])") << 0 << PacketType::Event
                                                      << Main << qint64(-1) << json(R"(["error"])");
    QTest::newRow("double event name") << QByteArray(R"(2[1.5])") << 0 << PacketType::Event << Main
                                       << qint64(-1) << json("[1.5]");
    QTest::newRow("namespace may contain anything but a comma")
            << QByteArray(R"(2/a/b?c=d,["x"])") << 0 << PacketType::Event << QStringLiteral("/a/b?c=d")
            << qint64(-1) << json(R"(["x"])");
    QTest::newRow("root namespace written out") << QByteArray(R"(2/,["x"])") << 0 << PacketType::Event << Main
                                                << qint64(-1) << json(R"(["x"])");
}

void tst_SocketIoPacket::decodeLenient()
{
    QFETCH(QByteArray, text);
    QFETCH(int, attachments);
    QFETCH(PacketType, type);
    QFETCH(QString, nsp);
    QFETCH(qint64, id);
    QFETCH(QCborValue, data);

    QList<QByteArray> buffers;
    for (int i = 0; i < attachments; ++i)
        buffers.append(QByteArray::number(i));
    Decoder decoder;
    const Fed fed = feed(decoder, text, buffers);
    QVERIFY2(fed.result == Decoder::Result::Packet, qPrintable(fed.error));
    QCOMPARE(fed.packet.type, type);
    QCOMPARE(fed.packet.nsp, nsp);
    QCOMPARE(fed.packet.id, id);
    QCOMPARE(fed.packet.data, data);
    QVERIFY(decodesLikePlainDecoder(text, buffers));
}

void tst_SocketIoPacket::malformed_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("error");

    const QString unknownType = QStringLiteral("unknown packet type");
    const QString invalidPayload = QStringLiteral("invalid payload");
    const QString illegalCount = QStringLiteral("Illegal attachments");

    // protocol.md 2.4, without the Engine.IO "4"
    QTest::newRow("letters instead of a type (4abc)") << QByteArray("abc") << unknownType;
    QTest::newRow("event payload is an object (42{})") << QByteArray("2{}") << invalidPayload;
    QTest::newRow("event payload is an empty array (42[])") << QByteArray("2[]") << invalidPayload;
    QTest::newRow("reserved event name disconnect") << QByteArray(R"(2["disconnect"])") << invalidPayload;
    QTest::newRow("letters before the payload (42abc[...])") << QByteArray(R"(2abc["x"])") << invalidPayload;
    QTest::newRow("connect payload is a string (40\"abc\")") << QByteArray(R"(0"abc")") << invalidPayload;
    QTest::newRow("zero attachments (450-[...])") << QByteArray(R"(50-["a"])") << illegalCount;
    // types
    QTest::newRow("type 7") << QByteArray("7") << QStringLiteral("unknown packet type 7");
    QTest::newRow("letters as type name the number NaN") << QByteArray("x") << QStringLiteral("unknown packet type NaN");
    // an Engine.IO message without data ("4") is undefined for socket.io's decoder
    QTest::newRow("empty message") << QByteArray("") << QStringLiteral("Unknown type: undefined");
    QTest::newRow("type 9 with payload") << QByteArray(R"(9["a"])") << unknownType;
    QTest::newRow("minus sign as type") << QByteArray("-1") << unknownType;
    QTest::newRow("non-breaking non-space unicode first") << QByteArray("\xc3\xa9") << unknownType;
    QTest::newRow("invalid utf-8 first byte") << QByteArray("\xff") << unknownType;
    // attachments
    QTest::newRow("eleven attachments") << QByteArray(R"(511-["a"])") << QStringLiteral("too many attachments");
    QTest::newRow("very many attachments") << QByteArray(R"(599999999999999999999-["a"])") << QStringLiteral("too many attachments");
    QTest::newRow("hex count above the limit") << QByteArray(R"(50xB-["a"])") << QStringLiteral("too many attachments");
    QTest::newRow("empty attachment count") << QByteArray(R"(5-["a"])") << illegalCount;
    QTest::newRow("negative attachment count") << QByteArray(R"(5-1-["a"])") << illegalCount;
    QTest::newRow("no dash after the count") << QByteArray(R"(51["a"])") << illegalCount;
    QTest::newRow("binary type alone") << QByteArray("5") << illegalCount;
    QTest::newRow("letters as count") << QByteArray(R"(5a-["a"])") << illegalCount;
    QTest::newRow("fractional count") << QByteArray(R"(51.5-["a"])") << illegalCount;
    QTest::newRow("Infinity as count") << QByteArray(R"(5Infinity-["a"])") << illegalCount;
    QTest::newRow("two numbers as count") << QByteArray(R"(51 1-["a"])") << illegalCount;
    QTest::newRow("count overflowing a double") << QByteArray("51e400-[\"a\"]") << illegalCount;
    QTest::newRow("binary ack zero attachments") << QByteArray(R"(60-1[])") << illegalCount;
    // payload validity per type
    QTest::newRow("connect payload is an array") << QByteArray("0[]") << invalidPayload;
    QTest::newRow("connect payload is null") << QByteArray("0null") << invalidPayload;
    QTest::newRow("connect payload is a number after a namespace") << QByteArray("0/a,x1") << invalidPayload;
    QTest::newRow("disconnect with an object") << QByteArray("1{}") << invalidPayload;
    QTest::newRow("disconnect on admin with an object") << QByteArray("1/admin,{}") << invalidPayload;
    QTest::newRow("disconnect with a trailing comma") << QByteArray("1/admin,,") << invalidPayload;
    QTest::newRow("connect error is an array") << QByteArray(R"(4["a"])") << invalidPayload;
    QTest::newRow("connect error is true") << QByteArray("4true") << invalidPayload;
    QTest::newRow("event first element is an object") << QByteArray(R"(2[{}])") << invalidPayload;
    QTest::newRow("event first element is null") << QByteArray("2[null]") << invalidPayload;
    QTest::newRow("event first element is true") << QByteArray("2[true]") << invalidPayload;
    QTest::newRow("event payload is a string") << QByteArray(R"(2"a")") << invalidPayload;
    QTest::newRow("reserved event name connect") << QByteArray(R"(2["connect"])") << invalidPayload;
    QTest::newRow("reserved event name connect_error") << QByteArray(R"(2["connect_error"])") << invalidPayload;
    QTest::newRow("reserved event name disconnecting") << QByteArray(R"(2["disconnecting"])") << invalidPayload;
    QTest::newRow("reserved event name newListener") << QByteArray(R"(2["newListener",1])") << invalidPayload;
    QTest::newRow("reserved event name removeListener") << QByteArray(R"(2["removeListener"])") << invalidPayload;
    QTest::newRow("reserved name in a binary event") << QByteArray(R"(51-["connect",{"_placeholder":true,"num":0}])")
                                                     << invalidPayload;
    QTest::newRow("ack payload is an object") << QByteArray("3{}") << invalidPayload;
    QTest::newRow("binary ack payload is a string") << QByteArray(R"(61-"a")") << invalidPayload;
    QTest::newRow("truncated event json") << QByteArray(R"(2["a")") << invalidPayload;
    QTest::newRow("trailing garbage after json") << QByteArray(R"(2["a"]x)") << invalidPayload;
    QTest::newRow("namespace without leading slash") << QByteArray(R"(2admin,["a"])") << invalidPayload;
    QTest::newRow("invalid utf-8 in payload") << QByteArray("2[\"\xff\"]") << invalidPayload;
    QTest::newRow("json nested too deep") << (QByteArray("2[\"a\",") + QByteArray(600, '[') + QByteArray(601, ']'))
                                          << invalidPayload;
    // ack id and namespace
    QTest::newRow("ack id beyond 64 bits") << QByteArray(R"(29223372036854775808["a"])") << QStringLiteral("invalid ack id");
    QTest::newRow("ack id of 30 digits") << QByteArray(R"(2123456789012345678901234567890["a"])") << QStringLiteral("invalid ack id");
    QTest::newRow("ack id with inner whitespace") << QByteArray(R"(21 2["a"])") << QStringLiteral("invalid ack id");
    QTest::newRow("invalid utf-8 in namespace") << QByteArray("2/\xff,[\"a\"]") << QStringLiteral("namespace is not valid UTF-8");
}

void tst_SocketIoPacket::malformed()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, error);
    Decoder decoder;
    QCOMPARE(decoder.addText(text), Decoder::Result::Error);
    QVERIFY2(decoder.errorString().startsWith(error), qPrintable(decoder.errorString()));
    QVERIFY(!decoder.isReconstructing());
    QVERIFY(decodesLikePlainDecoder(text));
}

void tst_SocketIoPacket::binaryReconstruction_data()
{
    QTest::addColumn<int>("count");
    QTest::newRow("one attachment") << 1;
    QTest::newRow("two attachments") << 2;
    QTest::newRow("ten attachments (the limit)") << 10;
}

void tst_SocketIoPacket::binaryReconstruction()
{
    QFETCH(int, count);
    QCborArray args;
    QList<QByteArray> buffers;
    for (int i = 0; i < count; ++i) {
        const QByteArray b = QByteArray(i + 1, char('a' + i)) + '\0';
        buffers.append(b);
        // alternate plain and nested positions
        if (i % 2)
            args.append(QCborMap{{QStringLiteral("buf"), b}, {QStringLiteral("i"), i}});
        else
            args.append(b);
    }
    const Packet original = makeEventPacket(Main, QStringLiteral("upload"), args, 3);
    const EncodedPacket encoded = encodePacket(original);
    QVERIFY(encoded.text.startsWith(QByteArray("5" + QByteArray::number(count) + "-3[\"upload\",")));
    QCOMPARE(encoded.attachments, buffers);

    Decoder decoder;
    QCOMPARE(decoder.addText(encoded.text), Decoder::Result::NeedMore);
    for (int i = 0; i < count; ++i) {
        QVERIFY(decoder.isReconstructing());
        QCOMPARE(decoder.addBinary(buffers.at(i)), i + 1 < count ? Decoder::Result::NeedMore : Decoder::Result::Packet);
    }
    const Packet decoded = decoder.takePacket();
    QCOMPARE(decoded.type, PacketType::Event);
    QCOMPARE(decoded.id, 3);
    QCOMPARE(decoded.data, original.data);
}

void tst_SocketIoPacket::tooManyAttachments()
{
    QCborArray args;
    for (int i = 0; i < 11; ++i)
        args.append(QByteArray(1, char(i)));
    const EncodedPacket encoded = encodePacket(makeEventPacket(Main, QStringLiteral("x"), args));
    QCOMPARE(encoded.attachments.size(), 11);
    QVERIFY(encoded.text.startsWith("511-"));
    Decoder decoder;
    QCOMPARE(decoder.addText(encoded.text), Decoder::Result::Error);
    QCOMPARE(decoder.errorString(), QStringLiteral("too many attachments"));
}

void tst_SocketIoPacket::maxAttachmentsIsConfigurable()
{
    Decoder two(2);
    QCOMPARE(two.addText(R"(63-[])"), Decoder::Result::Error);
    QCOMPARE(two.errorString(), QStringLiteral("too many attachments"));
    Decoder twenty(20);
    QCOMPARE(twenty.addText(R"(620-[])"), Decoder::Result::NeedMore);
}

void tst_SocketIoPacket::badPlaceholders_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("buffers");
    QTest::addColumn<bool>("valid");

    QTest::newRow("num equal to the buffer count") << QByteArray(R"(51-["a",{"_placeholder":true,"num":1}])") << 1 << false;
    QTest::newRow("negative num") << QByteArray(R"(51-["a",{"_placeholder":true,"num":-1}])") << 1 << false;
    QTest::newRow("fractional num") << QByteArray(R"(52-["a",{"_placeholder":true,"num":0.5}])") << 2 << false;
    QTest::newRow("num as a string") << QByteArray(R"(51-["a",{"_placeholder":true,"num":"0"}])") << 1 << false;
    QTest::newRow("num is null") << QByteArray(R"(51-["a",{"_placeholder":true,"num":null}])") << 1 << false;
    QTest::newRow("missing num") << QByteArray(R"(51-["a",{"_placeholder":true}])") << 1 << false;
    QTest::newRow("huge num") << QByteArray(R"(51-["a",{"_placeholder":true,"num":1e300}])") << 1 << false;
    QTest::newRow("bad placeholder deep inside") << QByteArray(R"(61-[{"x":[[{"_placeholder":true,"num":7}]]}])") << 1 << false;
    QTest::newRow("integral double num is fine") << QByteArray(R"(51-["a",{"_placeholder":true,"num":0.0}])") << 1 << true;
    QTest::newRow("minus zero num is fine") << QByteArray(R"(51-["a",{"_placeholder":true,"num":-0}])") << 1 << true;
    QTest::newRow("_placeholder not true is a plain object")
            << QByteArray(R"(51-["a",{"_placeholder":"true","num":5},{"_placeholder":true,"num":0}])") << 1 << true;
    QTest::newRow("same buffer used twice") << QByteArray(R"(51-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}])")
                                            << 1 << true;
    QTest::newRow("unused attachment") << QByteArray(R"(52-["a",{"_placeholder":true,"num":1}])") << 2 << true;
}

void tst_SocketIoPacket::badPlaceholders()
{
    QFETCH(QByteArray, text);
    QFETCH(int, buffers);
    QFETCH(bool, valid);
    Decoder decoder;
    QCOMPARE(decoder.addText(text), Decoder::Result::NeedMore);
    for (int i = 0; i + 1 < buffers; ++i)
        QCOMPARE(decoder.addBinary("b"), Decoder::Result::NeedMore);
    const Decoder::Result result = decoder.addBinary("last");
    if (valid) {
        QCOMPARE(result, Decoder::Result::Packet);
        QVERIFY(!Json::write(decoder.takePacket().data).contains("\"num\":0}"));
    } else {
        QCOMPARE(result, Decoder::Result::Error);
        QCOMPARE(decoder.errorString(), QStringLiteral("illegal attachments"));
    }
}

void tst_SocketIoPacket::textWhileReconstructing()
{
    Decoder decoder;
    QCOMPARE(decoder.addText(R"(52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"),
             Decoder::Result::NeedMore);
    QCOMPARE(decoder.addBinary("x"), Decoder::Result::NeedMore);
    QCOMPARE(decoder.addText(R"(2["b"])"), Decoder::Result::Error);
    QCOMPARE(decoder.errorString(), QStringLiteral("got plaintext data when reconstructing a packet"));
    QVERIFY(!decoder.isReconstructing());
}

void tst_SocketIoPacket::binaryWithoutHeader()
{
    Decoder decoder;
    QCOMPARE(decoder.addBinary("x"), Decoder::Result::Error);
    QCOMPARE(decoder.errorString(), QStringLiteral("got binary data when not reconstructing a packet"));

    // also right after a complete binary packet
    Decoder second;
    QCOMPARE(second.addText(R"(51-["a",{"_placeholder":true,"num":0}])"), Decoder::Result::NeedMore);
    QCOMPARE(second.addBinary("x"), Decoder::Result::Packet);
    QCOMPARE(second.addBinary("y"), Decoder::Result::Error);
}

void tst_SocketIoPacket::errorIsStickyUntilReset()
{
    Decoder decoder;
    QCOMPARE(decoder.addText("7"), Decoder::Result::Error);
    QCOMPARE(decoder.addText(R"(2["fine"])"), Decoder::Result::Error);
    QCOMPARE(decoder.errorString(), QStringLiteral("unknown packet type 7"));
    QCOMPARE(decoder.addBinary("x"), Decoder::Result::Error);
    decoder.reset();
    QVERIFY(decoder.errorString().isEmpty());
    QCOMPARE(decoder.addText(R"(2["fine"])"), Decoder::Result::Packet);

    // reset also drops a half-received binary packet
    QCOMPARE(decoder.addText(R"(51-["a",{"_placeholder":true,"num":0}])"), Decoder::Result::NeedMore);
    decoder.reset();
    QVERIFY(!decoder.isReconstructing());
    QCOMPARE(decoder.addText("1"), Decoder::Result::Packet);
    QCOMPARE(decoder.takePacket().type, PacketType::Disconnect);
}

void tst_SocketIoPacket::consecutivePackets()
{
    // protocol.md 2.10's POST body, split into its Engine.IO messages
    Decoder decoder;
    QCOMPARE(decoder.addText(R"(21["hello","x"])"), Decoder::Result::Packet);
    const Packet hello = decoder.takePacket();
    QCOMPARE(hello.data, json(R"(["hello","x"])"));
    QCOMPARE(decoder.addText(R"(51-["bin",{"_placeholder":true,"num":0}])"), Decoder::Result::NeedMore);
    QCOMPARE(decoder.addBinary(QByteArray::fromBase64("AQID")), Decoder::Result::Packet);
    QCOMPARE(decoder.takePacket().data, QCborValue(QCborArray{QStringLiteral("bin"), Bytes123}));
    QCOMPARE(decoder.addText("0/admin,"), Decoder::Result::Packet);
    QCOMPARE(decoder.takePacket().nsp, Admin);
    // takePacket leaves a default packet behind
    QCOMPARE(decoder.takePacket().data, QCborValue());
}

void tst_SocketIoPacket::encoderDetails()
{
    // a comma in the namespace cannot be encoded
    QVERIFY(encodePacket(makePacket(PacketType::Event, QStringLiteral("/a,b"), -1, json(R"(["x"])"))).text.isEmpty());
    // null data is not written, like undefined
    QCOMPARE(encodePacket(makePacket(PacketType::Ack, Main, 4, QCborValue(nullptr))).text, QByteArray("34"));
    // an empty namespace is the main one
    QCOMPARE(encodePacket(makePacket(PacketType::Event, QString(), -1, json(R"(["x"])"))).text, QByteArray(R"(2["x"])"));
    // BINARY_* without bytes goes out as plain EVENT/ACK
    QCOMPARE(encodePacket(makePacket(PacketType::BinaryEvent, Main, -1, json(R"(["x"])"))).text, QByteArray(R"(2["x"])"));
    QCOMPARE(encodePacket(makePacket(PacketType::BinaryAck, Main, 2, json("[]"))).text, QByteArray("32[]"));
    // bytes in packets that cannot be binary are written as null
    const EncodedPacket connect = encodePacket(makePacket(PacketType::Connect, Main, -1,
                                                          QCborMap{{QStringLiteral("token"), QByteArray("x")}}));
    QCOMPARE(connect.text, QByteArray(R"(0{"token":null})"));
    QVERIFY(connect.attachments.isEmpty());
    // control characters never reach the wire raw
    const EncodedPacket rs = encodePacket(makeEventPacket(Main, QStringLiteral("a\x1e"), {QStringLiteral("\n")}));
    QCOMPARE(rs.text, QByteArray(R"(2["a\u001e","\n"])"));
}

void tst_SocketIoPacket::makeEventPacketHelper()
{
    const Packet p = makeEventPacket(Admin, QStringLiteral("chat"), {1, QStringLiteral("two")}, 9);
    QCOMPARE(p.type, PacketType::Event);
    QCOMPARE(p.nsp, Admin);
    QCOMPARE(p.id, 9);
    QCOMPARE(encodePacket(p).text, QByteArray(R"(2/admin,9["chat",1,"two"])"));
    QCOMPARE(encodePacket(makeAckPacket(Main, 0, {})).text, QByteArray("30[]"));
}

void tst_SocketIoPacket::reservedEventNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("reserved");
    for (const char *name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
        QTest::newRow(name) << QString::fromLatin1(name) << true;
    QTest::newRow("error is not reserved") << QStringLiteral("error") << false;
    QTest::newRow("connection is not reserved on the wire") << QStringLiteral("connection") << false;
    QTest::newRow("case matters") << QStringLiteral("Connect") << false;
    QTest::newRow("empty name") << QString() << false;
}

void tst_SocketIoPacket::reservedEventNames()
{
    QFETCH(QString, name);
    QFETCH(bool, reserved);
    QCOMPARE(isReservedEventName(name), reserved);
}

void tst_SocketIoPacket::fuzzCorpusDecodesTheSame()
{
    // The fuzzers' seed corpus (and, by hand, any grown corpus: directories in
    // SOCKETIO_EXTRA_CORPUS, separated by ':'): every packet sequence decodes the same with the
    // server's separating decoder; every JSON input reads the same with and without ReadInfo.
    const QString source = QStringLiteral(SOCKETIO_SOURCE_DIR) + QStringLiteral("/tests/fuzz/corpus/");
    QStringList packetDirs{source + QStringLiteral("socketio_packet")};
    QStringList jsonDirs{source + QStringLiteral("json")};
    const QString extra = qEnvironmentVariable("SOCKETIO_EXTRA_CORPUS");
    for (const QString &dir : extra.split(u':', Qt::SkipEmptyParts))
        (dir.contains(QStringLiteral("json")) ? jsonDirs : packetDirs).append(dir);
    int packetFiles = 0;
    int jsonFiles = 0;
    for (const QString &dirName : std::as_const(packetDirs)) {
        const QDir dir(dirName);
        for (const QString &name : dir.entryList(QDir::Files)) {
            QFile file(dir.filePath(name));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QList<QByteArray> messages = file.readAll().split('\x1e');
            // fed in order to one decoder of each kind, as the fuzzer does
            Decoder plain;
            Decoder separating;
            separating.setSeparateEventName(true);
            for (const QByteArray &m : messages) {
                const bool binary = m.startsWith('b');
                const Decoder::Result a = binary ? plain.addBinary(m.mid(1)) : plain.addText(m);
                const Decoder::Result b = binary ? separating.addBinary(m.mid(1)) : separating.addText(m);
                QCOMPARE(a, b);
                QCOMPARE(plain.errorString(), separating.errorString());
                if (a == Decoder::Result::Packet) {
                    const Packet pa = plain.takePacket();
                    const Packet pb = separating.takePacket();
                    QCborValue data = pb.data;
                    if (pb.argsOnly) {
                        QCborArray full = pb.data.toArray();
                        full.prepend(pb.event);
                        data = full;
                    }
                    QCOMPARE(pb.type, pa.type);
                    QCOMPARE(pb.nsp, pa.nsp);
                    QCOMPARE(pb.id, pa.id);
                    QCOMPARE(data, pa.data);
                }
                if (a == Decoder::Result::Error) {
                    plain.reset();
                    separating.reset();
                }
            }
            ++packetFiles;
        }
    }
    for (const QString &dirName : std::as_const(jsonDirs)) {
        const QDir dir(dirName);
        for (const QString &name : dir.entryList(QDir::Files)) {
            QFile file(dir.filePath(name));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray text = file.readAll();
            QCborValue plainValue;
            const bool ok = Json::read(text, &plainValue);
            QCborValue value;
            Json::ReadInfo info;
            QCOMPARE(Json::read(text, &value, nullptr, &info), ok);
            if (!ok)
                continue;
            QCOMPARE(value, plainValue);
            Json::ReadInfo separate;
            separate.separateFirstString = true;
            QCborValue rest;
            QVERIFY(Json::read(text, &rest, nullptr, &separate));
            if (separate.firstStringSeparated) {
                QCborArray full = rest.toArray();
                full.prepend(separate.firstString);
                QCOMPARE(QCborValue(full), plainValue);
            } else {
                QCOMPARE(rest, plainValue);
            }
            ++jsonFiles;
        }
    }
    QVERIFY(packetFiles >= 10);
    QVERIFY(jsonFiles >= 1);
    qInfo("%d packet and %d JSON corpus files checked", packetFiles, jsonFiles);
}

QTEST_GUILESS_MAIN(tst_SocketIoPacket)
#include "tst_socketiopacket.moc"
