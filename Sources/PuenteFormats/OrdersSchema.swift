/// The orders XSD, compiled into the binary so `puente` needs no file beside it to check an
/// Inbox file. It must equal docs/schemas/orders.xsd, the copy site developers read (a test
/// compares them).
public enum OrdersSchema {
    public static let text = #"""
<?xml version="1.0" encoding="UTF-8"?>
<!-- Puente v1: an order file the web site drops into the Inbox. See docs/site-packages.md. -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
  <!-- Values are strings on purpose: a value that is present but unusable (quantity="abc")
       rejects only its order, with an invalid-* reason, not the whole file. -->
  <xs:element name="orders">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="order" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="note" type="xs:string" minOccurs="0"/>
              <xs:element name="line" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:attribute name="product" type="xs:string" use="required"/>
                  <xs:attribute name="quantity" type="xs:string" use="required"/>
                  <xs:attribute name="price" type="xs:string" use="required"/>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
            <!-- The ack names each order by its id: it may not be empty. -->
            <xs:attribute name="id" use="required">
              <xs:simpleType><xs:restriction base="xs:string"><xs:minLength value="1"/></xs:restriction></xs:simpleType>
            </xs:attribute>
            <xs:attribute name="pos" type="xs:string" use="required"/>
            <xs:attribute name="date" type="xs:string" use="required"/>
            <xs:attribute name="client" type="xs:string" use="required"/>
            <xs:attribute name="seller" type="xs:string"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
      <xs:attribute name="version" type="xs:string" use="required" fixed="1"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""#
}
